# The plain-C reference ops (the oracle) and the kernel tests that compare the OpenCL backend
# with them. lo_ref_ops shares only the step and IR headers with the library, never its code.
add_library(lo_ref_ops STATIC ref_ops.c)
target_include_directories(lo_ref_ops PUBLIC
  ${CMAKE_CURRENT_SOURCE_DIR}
  ${PROJECT_SOURCE_DIR}/plugin
  ${PROJECT_SOURCE_DIR}/plugin/include)
target_link_libraries(lo_ref_ops PUBLIC m)

add_executable(test_kernels test_kernels.c)
target_include_directories(test_kernels PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(test_kernels PRIVATE lo_ref_ops lenet_onnx_core Threads::Threads m)

# About 10 s with a cold PoCL cache on 2 cores, under a second warm; the limit leaves room for
# slow machines and sanitizer builds.
add_test(NAME kernels COMMAND test_kernels)
# The direct kernels GPUs run (no CPU vector blocking), on another seed.
add_test(NAME kernels_generic COMMAND test_kernels 977)
set_tests_properties(kernels kernels_generic PROPERTIES LABELS "device" TIMEOUT 300)
set_tests_properties(kernels PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}")
set_tests_properties(kernels_generic PROPERTIES
                     ENVIRONMENT "${LENET_ONNX_TEST_ENV};LENET_ONNX_CL_GENERIC=1")

add_executable(test_cl_build test_cl_build.c)
target_link_libraries(test_cl_build PRIVATE lenet_onnx_core)
target_include_directories(test_cl_build PRIVATE ${PROJECT_SOURCE_DIR}/cl ${PROJECT_SOURCE_DIR}/tests)
add_test(NAME cl_build_log COMMAND test_cl_build)
set_tests_properties(cl_build_log PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 120)
