# Configures, builds and tests a tree with every GPU backend turned off: the core and the host
# reference backend alone must build, link no compute API, and pass the whole suite.
include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BUILD_DIR} -DCMAKE_BUILD_TYPE=RelWithDebInfo
    -DLENET_ONNX_OPENCL=OFF -DLENET_ONNX_VULKAN=OFF -DLENET_ONNX_SANITIZER_TESTS=OFF
    -DLENET_ONNX_WERROR=ON "-DLENET_ONNX_ORT_DIR=${ORT_DIR}")
cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
run(${CMAKE_COMMAND} --build ${BUILD_DIR} -j ${cores})
file(GLOB plugin ${BUILD_DIR}/liblenet-onnx.so.*.*)
execute_process(COMMAND readelf -d ${plugin} OUTPUT_VARIABLE dynamic RESULT_VARIABLE result)
if(NOT result EQUAL 0 OR dynamic MATCHES "libOpenCL|libvulkan")
  message(FATAL_ERROR "${plugin} needs a compute API with every GPU backend off:\n${dynamic}")
endif()
run(${CMAKE_CTEST_COMMAND} --test-dir ${BUILD_DIR} --output-on-failure)
