# OpenCL-only tests, included from the tests folder when LENET_ONNX_OPENCL is on.

# A kernel that fails to compile is reported with its build log (cl_program.c).
find_package(OpenCL REQUIRED)
add_executable(test_cl_build ${CMAKE_CURRENT_LIST_DIR}/test_cl_build.c)
target_link_libraries(test_cl_build PRIVATE lo_backend_opencl OpenCL::OpenCL)
target_include_directories(test_cl_build PRIVATE ${PROJECT_SOURCE_DIR}/cl ${PROJECT_SOURCE_DIR}/tests)
add_test(NAME cl_build_log COMMAND test_cl_build)
set_tests_properties(cl_build_log PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 120)

# Error paths through a stub OpenCL driver that fails one chosen call (stub_icd/stub_icd.c),
# driven through lenet-onnx-run and the plugin.
add_library(lo_stub_icd MODULE ${CMAKE_CURRENT_LIST_DIR}/stub_icd/stub_icd.c)
target_include_directories(lo_stub_icd PRIVATE ${OpenCL_INCLUDE_DIRS})
add_test(NAME device_failures
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/check_device_failures.py
                 $<TARGET_FILE:lenet-onnx-run> $<TARGET_FILE:lo_stub_icd>)
set_tests_properties(device_failures PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                                                ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 120)

# Plans of one model on one context share one device copy of each constant (cl_constant_cache.c).
add_executable(test_cl_constant_share ${CMAKE_CURRENT_LIST_DIR}/test_cl_constant_share.c)
target_link_libraries(test_cl_constant_share PRIVATE lo_backend_opencl OpenCL::OpenCL m)
target_include_directories(test_cl_constant_share PRIVATE ${PROJECT_SOURCE_DIR}/cl
                                                          ${PROJECT_SOURCE_DIR}/tests)
add_test(NAME cl_constant_share COMMAND test_cl_constant_share)
set_tests_properties(cl_constant_share PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 120)

# The kernel tests bundle many small steps into each plan, which the automatic choice would
# run as one network kernel: they test each step's own launch, so they keep it off.
set_property(TEST kernels_opencl APPEND PROPERTY ENVIRONMENT "LENET_ONNX_CL_NETWORK=0")

# The whole plan as one kernel (cl_network.c): when it is chosen, and what it computes.
add_executable(test_cl_network ${CMAKE_CURRENT_LIST_DIR}/test_cl_network.c)
target_link_libraries(test_cl_network PRIVATE lo_backend_opencl OpenCL::OpenCL m)
target_include_directories(test_cl_network PRIVATE ${PROJECT_SOURCE_DIR}/cl ${PROJECT_SOURCE_DIR}/tests)
add_test(NAME cl_network COMMAND test_cl_network)
set_tests_properties(cl_network PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 120)

# Every kernel test's plan as one network kernel (LENET_ONNX_CL_NETWORK=1), against ref, on
# another seed and 15% of the cases. Plans with a step that has no work-group form (Pad,
# Concat, Transpose, MatMul, uint8 tensors) keep their launches; a plan refused for any other
# reason fails the test.
add_test(NAME kernels_opencl_network COMMAND test_kernels opencl 3131 0.15)
set_tests_properties(kernels_opencl_network PROPERTIES LABELS "device" TIMEOUT 300
                     ENVIRONMENT "${LENET_ONNX_TEST_ENV};LENET_ONNX_CL_NETWORK=1;LENET_ONNX_TRACE=1"
                     FAIL_REGULAR_EXPRESSION "one launch per step: [^\n]*(FLOP|CPU device|past)|failed to build")

# The direct kernels GPUs run (no CPU vector blocking), against ref, on another seed.
add_test(NAME kernels_opencl_generic COMMAND test_kernels opencl 977)
set_tests_properties(kernels_opencl_generic PROPERTIES LABELS "device" TIMEOUT 300
                     ENVIRONMENT "${LENET_ONNX_TEST_ENV};LENET_ONNX_CL_GENERIC=1;LENET_ONNX_CL_NETWORK=0")

# The local-memory tiled kernels GPUs run for Conv and Gemm (cl_launch_tiled.c), forced on the
# CPU device, against ref, on another seed. The trace names each launch's kernel: a Conv or
# Gemm that took a direct kernel instead (a tile the device refused) fails the test.
add_test(NAME kernels_opencl_tiled COMMAND test_kernels opencl 1213)
set_tests_properties(kernels_opencl_tiled PROPERTIES LABELS "device" TIMEOUT 300
                     ENVIRONMENT "${LENET_ONNX_TEST_ENV};LENET_ONNX_CL_TILED=1;LENET_ONNX_TRACE=1;LENET_ONNX_CL_NETWORK=0"
                     FAIL_REGULAR_EXPRESSION "conv2d_direct|conv2d_blocked|gemm_direct|gemm_blocked|the direct kernel runs")

# The bundled model end to end with the tiled kernels, and as one network kernel: every
# sample's scores against PyTorch's (check_run_json.py batch) and every step against ref
# (compare: the network kernel writes each step's output where its launch would).
foreach(form tiled network)
  string(TOUPPER ${form} form_env)
  foreach(check batch compare)
    add_test(NAME cli_${check}_opencl_${form}
             COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/check_run_json.py ${check}
                     $<TARGET_FILE:lenet-onnx-run>)
    set_tests_properties(cli_${check}_opencl_${form} PROPERTIES
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} TIMEOUT 600
      ENVIRONMENT "${lo_cli_env};LENET_ONNX_BACKEND=opencl;LENET_ONNX_CL_${form_env}=1")
  endforeach()
endforeach()

# The kernel choice itself, on the bundled model: CPU devices keep the register-blocked kernels
# by default (the batch throughput on PoCL depends on them; the network kernel is not taken), LENET_ONNX_CL_TILED=1 gives Conv
# (with its MaxPool epilogue) and Gemm the tiled ones; the samples folder runs as one batch of
# 20, past the Gemm chain's rows. One image (batch 1) runs the head as one chain.
set(lo_choice_args -DRUN=$<TARGET_FILE:lenet-onnx-run> -DMODEL=${PROJECT_SOURCE_DIR}/models/lenet.onnx
    -DIMAGE=${PROJECT_SOURCE_DIR}/samples)
add_test(NAME opencl_choice_cpu
         COMMAND ${CMAKE_COMMAND} ${lo_choice_args} "-DEXPECT=conv2d_blocked_pool;gemm_blocked"
                 -DFORBID=_tiled|gemm_chain|lo_network
                 -P ${CMAKE_CURRENT_LIST_DIR}/check_kernel_choice.cmake)
# LENET_ONNX_CL_NETWORK=1: the whole batch of 20 in one kernel, no launch of its own per step.
add_test(NAME opencl_choice_network
         COMMAND ${CMAKE_COMMAND} ${lo_choice_args} "-DEXPECT=lo_network"
                 "-DFORBID=conv2d|gemm_|pool2d" -P ${CMAKE_CURRENT_LIST_DIR}/check_kernel_choice.cmake)
set_tests_properties(opencl_choice_network PROPERTIES TIMEOUT 120
                     ENVIRONMENT "${LENET_ONNX_TEST_ENV};LENET_ONNX_CL_NETWORK=1")
add_test(NAME opencl_choice_tiled
         COMMAND ${CMAKE_COMMAND} ${lo_choice_args} "-DEXPECT=conv_tiled_pool;gemm_tiled"
                 "-DFORBID=conv2d|gemm_(direct|blocked|chain)"
                 -P ${CMAKE_CURRENT_LIST_DIR}/check_kernel_choice.cmake)
add_test(NAME opencl_choice_chain
         COMMAND ${CMAKE_COMMAND} -DRUN=$<TARGET_FILE:lenet-onnx-run>
                 -DMODEL=${PROJECT_SOURCE_DIR}/models/lenet.onnx
                 -DIMAGE=${PROJECT_SOURCE_DIR}/samples/00000-ankle-boot.png
                 "-DEXPECT=conv2d_blocked_pool;gemm_chain" "-DFORBID=gemm_(direct|blocked|tiled)"
                 -P ${CMAKE_CURRENT_LIST_DIR}/check_kernel_choice.cmake)
set_tests_properties(opencl_choice_chain PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 120)
set_tests_properties(opencl_choice_cpu PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 120)
set_tests_properties(opencl_choice_tiled PROPERTIES TIMEOUT 120
                     ENVIRONMENT "${LENET_ONNX_TEST_ENV};LENET_ONNX_CL_TILED=1")

# The reduce kernels GPUs run on grids too small for tiles (one work-group per output value,
# cl_launch_reduce.c), forced on the CPU device for every Conv and Gemm, against ref, on
# another seed and a quarter of the cases (PoCL runs a group's items one after another).
add_test(NAME kernels_opencl_reduce COMMAND test_kernels opencl 4242 0.25)
set_tests_properties(kernels_opencl_reduce PROPERTIES LABELS "device" TIMEOUT 300
                     ENVIRONMENT "${LENET_ONNX_TEST_ENV};LENET_ONNX_CL_REDUCE=1;LENET_ONNX_TRACE=1;LENET_ONNX_CL_NETWORK=0"
                     FAIL_REGULAR_EXPRESSION "conv2d_direct|conv2d_blocked|gemm_direct|gemm_blocked|_tiled|failed to build")

# The device's fixed cost per inference (cl/bench/cl_dispatch_floor.c): a benchmark, run here
# briefly only to keep it working; it asserts nothing about time.
add_executable(cl_dispatch_floor ${PROJECT_SOURCE_DIR}/cl/bench/cl_dispatch_floor.c)
target_link_libraries(cl_dispatch_floor PRIVATE OpenCL::OpenCL)
add_test(NAME cl_dispatch_floor_smoke COMMAND cl_dispatch_floor 0 20)
set_tests_properties(cl_dispatch_floor_smoke PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}"
                     TIMEOUT 60 PASS_REGULAR_EXPRESSION "kernels +median_us")
