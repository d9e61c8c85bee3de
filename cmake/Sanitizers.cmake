# Sanitizer and fuzzing builds (tests/sanitize/run.sh, tests/fuzz/run.sh, docs/security.md).
#   UNINLU_SANITIZE=address,undefined   ASan + UBSan: every target, -O1, frame pointers, UBSan fatal
#   UNINLU_SANITIZE=thread              TSan
#   UNINLU_FUZZ=ON                      libFuzzer coverage on every target (clang only); the targets in
#                                       tests/fuzz link -fsanitize=fuzzer. Implies address,undefined.
# The flags go on every target (libraries included): a sanitizer sees only instrumented code, and ASan's
# container checks need the whole program built alike.
set(UNINLU_SANITIZE "" CACHE STRING "Sanitizers for every target: address,undefined | thread | empty")
option(UNINLU_FUZZ "Build the libFuzzer targets in tests/fuzz (clang)" OFF)

if(UNINLU_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "UNINLU_FUZZ needs clang (-fsanitize=fuzzer): configure with CC=clang CXX=clang++")
  endif()
  if(NOT UNINLU_SANITIZE)
    set(UNINLU_SANITIZE address,undefined CACHE STRING "" FORCE)
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(UNINLU_SANITIZE)
  if(UNINLU_SANITIZE MATCHES "thread" AND UNINLU_SANITIZE MATCHES "address")
    message(FATAL_ERROR "UNINLU_SANITIZE: thread cannot be combined with address")
  endif()
  # -O1 keeps stack traces exact enough and the tests fast enough; it comes after the build type's -O.
  add_compile_options(-fsanitize=${UNINLU_SANITIZE} -fno-omit-frame-pointer -O1 -g)
  add_link_options(-fsanitize=${UNINLU_SANITIZE})
  if(UNINLU_SANITIZE MATCHES "undefined")
    # A report fails the test instead of scrolling past.
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
  message(STATUS "uninlu: sanitizers ${UNINLU_SANITIZE}")
endif()
