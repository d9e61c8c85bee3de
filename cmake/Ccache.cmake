# Compile through ccache when it is installed (scripts/install_deps.sh installs it): CI, the quickstart
# and the image build recompile the same sources many times. UNINLU_CCACHE=OFF, or a launcher given on
# the command line, turns this off.
option(UNINLU_CCACHE "Compile through ccache when it is found" ON)
if(UNINLU_CCACHE)
  find_program(UNINLU_CCACHE_PROGRAM ccache)
  if(UNINLU_CCACHE_PROGRAM)
    foreach(lang C CXX CUDA)
      if(NOT CMAKE_${lang}_COMPILER_LAUNCHER)
        set(CMAKE_${lang}_COMPILER_LAUNCHER ${UNINLU_CCACHE_PROGRAM})
      endif()
    endforeach()
  endif()
endif()
