# ctest FacadeHidesTorch: cmake -DBUILD_DIR=<build> -P CheckFacade.cmake
# Builds two probe object libraries that get exactly ui's usage requirements:
# facade_probe_api (core's facade headers) must build, facade_probe_torch
# (#include <torch/torch.h>) must fail because torch's headers are not found.
foreach(probe facade_probe_api facade_probe_torch)
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${probe}
                  RESULT_VARIABLE rc_${probe} OUTPUT_VARIABLE out_${probe} ERROR_VARIABLE out_${probe})
endforeach()
if(NOT rc_facade_probe_api EQUAL 0)
  message(FATAL_ERROR "core's facade headers do not build with ui's usage requirements:\n${out_facade_probe_api}")
endif()
if(rc_facade_probe_torch EQUAL 0)
  message(FATAL_ERROR "#include <torch/torch.h> builds with ui's usage requirements: torch leaks through the facade")
endif()
if(NOT out_facade_probe_torch MATCHES "torch/torch\\.h")
  message(FATAL_ERROR "the torch probe failed for another reason than a missing <torch/torch.h>:\n${out_facade_probe_torch}")
endif()
message(STATUS "facade ok: core headers build for ui/, <torch/torch.h> does not")
