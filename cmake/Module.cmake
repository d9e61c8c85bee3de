# uninlu_module(<name> [DEPS targets...]): a static library from every .cc file in the calling
# directory (an INTERFACE library while a module has no sources yet). Include paths are relative to
# src/, so code says #include "text/vocab.h".
function(uninlu_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  if(sources)
    add_library(${name} STATIC ${sources})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE uninlu_warnings)
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
  endif()
endfunction()

# uninlu_test(<name> [DEPS targets...] [FIXTURE name]): one GoogleTest executable from every *_test.cc in
# the calling directory, registered with CTest. FIXTURE names the generated test data it needs
# (tests/fixtures: "models", or "goldens", which implies "models"); the code finds it under
# UNINLU_FIXTURES_DIR. (One name: gtest_discover_tests cannot pass a list-valued property.)
function(uninlu_test name)
  cmake_parse_arguments(ARG "" "FIXTURE" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  if(NOT sources)
    return()
  endif()
  add_executable(${name} ${sources})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock uninlu_warnings)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)  # helpers shared by test binaries
  target_compile_definitions(${name} PRIVATE
    UNINLU_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    UNINLU_BINARY_DIR="${PROJECT_BINARY_DIR}"
    UNINLU_FIXTURES_DIR="${UNINLU_FIXTURES_DIR}")
  include(GoogleTest)
  # Tests run side by side (ctest -j): OpenMP threads that spin while waiting would steal the cores
  # other tests need, so they sleep instead.
  set(properties LABELS unit ENVIRONMENT OMP_WAIT_POLICY=PASSIVE)
  if(ARG_FIXTURE)
    list(APPEND properties FIXTURES_REQUIRED ${ARG_FIXTURE})
  endif()
  gtest_discover_tests(${name} TEST_PREFIX "${name}." DISCOVERY_TIMEOUT 60 PROPERTIES ${properties})
endfunction()
