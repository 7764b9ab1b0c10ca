# Configures, builds and tests an ASan+UBSan tree. Leaks inside the OpenCL driver (PoCL and
# the LLVM it embeds) are not ours and are suppressed; any in our code fails the run.
include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BUILD_DIR} -DCMAKE_BUILD_TYPE=Debug
    -DLENET_ONNX_SANITIZE=ON -DLENET_ONNX_SANITIZER_TESTS=OFF -DLENET_ONNX_WERROR=ON
    "-DLENET_ONNX_ORT_DIR=${ORT_DIR}")
cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
run(${CMAKE_COMMAND} --build ${BUILD_DIR} -j ${cores})
# LeakSanitizer's exit-time scan crashes while PoCL's compiler threads are about (cold kernel
# cache): compile every kernel once with leak checks off, so the suite below runs warm.
set(ENV{POCL_CACHE_DIR} "${BUILD_DIR}/pocl-cache")
# PoCL keys its binaries by kernel source, options and device, not by our build: the tree that
# runs this test has compiled the same kernels already (its kernel tests run first), and a copy
# of its cache saves compiling them all again here.
if(WARM_POCL_CACHE AND IS_DIRECTORY "${WARM_POCL_CACHE}" AND NOT EXISTS "${BUILD_DIR}/pocl-cache")
  file(COPY "${WARM_POCL_CACHE}/" DESTINATION "${BUILD_DIR}/pocl-cache")
endif()
set(ENV{LENET_ONNX_CACHE_DIR} "${BUILD_DIR}/lenet-onnx-cache")
set(ENV{ASAN_OPTIONS} "detect_leaks=0")
run(${BUILD_DIR}/tests/test_kernels)
# The OpenCL network kernel's programs are generated per plan: its tests compile their own.
run(${CMAKE_CTEST_COMMAND} --test-dir ${BUILD_DIR} -R network --output-on-failure)
set(ENV{ASAN_OPTIONS} "detect_leaks=1:abort_on_error=0:strict_string_checks=1")
# use_tls=0: the hosts dlopen the plugin, so it and libOpenCL have dynamic TLS, whose scan
# crashes this LeakSanitizer (GCC 12 on glibc 2.36: "Tracer caught signal 11"). Fewer roots can
# only add leak reports, never hide one.
set(ENV{LSAN_OPTIONS} "suppressions=${SUPPRESSIONS}:print_suppressions=0:use_tls=0")
set(ENV{UBSAN_OPTIONS} "print_stacktrace=1:halt_on_error=1")
run(${CMAKE_CTEST_COMMAND} --test-dir ${BUILD_DIR} --output-on-failure)
