# The OpenCL backend's own tests (stub ICD, build log) live with it, in cl/tests/.
if(LENET_ONNX_OPENCL)
  include(${PROJECT_SOURCE_DIR}/cl/tests/opencl_tests.cmake)
endif()
