# Adds tests/gpu to a build whose tests/CMakeLists.txt does not list "gpu" (yet):
#   cmake -S . -B build-gpu -DCMAKE_PROJECT_uninlu_INCLUDE=$PWD/tests/gpu/standalone.cmake ...
# CMake includes this file right after project(); the deferred call runs when the top-level
# CMakeLists.txt is done (uninlu_test(), the fixtures and every library target exist by then) and
# include()s tests/gpu/CMakeLists.txt (deferred calls may not add subdirectories). Does nothing when the
# module list already has "gpu".
function(uninlu_add_gpu_tests_late)
  if(NOT TARGET gpu_tests)
    include(${CMAKE_SOURCE_DIR}/tests/gpu/CMakeLists.txt)
  endif()
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL uninlu_add_gpu_tests_late)
