# One interface target carries the project's warning flags; every target links it.
add_library(uninlu_warnings INTERFACE)
target_compile_options(uninlu_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual -Wimplicit-fallthrough>
  $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${UNINLU_WERROR}>>:-Werror>
  $<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<BOOL:${UNINLU_WERROR}>>:-Werror=all-warnings -Xcompiler=-Wall,-Wextra,-Werror>)
