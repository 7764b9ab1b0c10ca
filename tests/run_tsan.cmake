# Configures a ThreadSanitizer tree, builds the plugin and the threads test only, and runs it
# with fewer inferences per thread (TSan is slow). Any data race in our code fails the run.
include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BUILD_DIR} -DCMAKE_BUILD_TYPE=Debug
    -DLENET_ONNX_SANITIZE_THREAD=ON -DLENET_ONNX_SANITIZER_TESTS=OFF -DLENET_ONNX_WERROR=ON
    -DLENET_ONNX_ORT_DIR=)
cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
run(${CMAKE_COMMAND} --build ${BUILD_DIR} -j ${cores} --target lenet-onnx test_abi_threads)
set(ENV{POCL_CACHE_DIR} "${BUILD_DIR}/pocl-cache")
set(ENV{LENET_ONNX_CACHE_DIR} "${BUILD_DIR}/lenet-onnx-cache")
set(ENV{LENET_ONNX_TEST_RUNS} "200")
# halt_on_error: the first race fails the test; the OpenCL driver (PoCL, not instrumented)
# synchronises its own threads, so only races in our code can be reported.
set(ENV{TSAN_OPTIONS} "halt_on_error=1:second_deadlock_stack=1:suppressions=${SUPPRESSIONS}")
run(${BUILD_DIR}/tests/test_abi_threads ${BUILD_DIR}/liblenet-onnx.so
    WORKING_DIRECTORY ${SOURCE_DIR})
