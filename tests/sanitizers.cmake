# The whole suite again in an ASan+UBSan build of its own, as one test of this tree.
if(LENET_ONNX_SANITIZER_TESTS AND NOT LENET_ONNX_SANITIZE)
  add_test(NAME sanitizers
    COMMAND ${CMAKE_COMMAND}
      -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
      -DBUILD_DIR=${CMAKE_BINARY_DIR}/sanitizers
      -DSUPPRESSIONS=${CMAKE_CURRENT_SOURCE_DIR}/lsan.supp
      -DORT_DIR=${LENET_ONNX_ORT_DIR}
      -DWARM_POCL_CACHE=${CMAKE_BINARY_DIR}/pocl-cache
      -P ${CMAKE_CURRENT_SOURCE_DIR}/run_sanitizers.cmake)
  set_tests_properties(sanitizers PROPERTIES TIMEOUT 1500 RUN_SERIAL TRUE)
endif()

# The whole suite again with every GPU backend off (the core and ref/ alone), in a tree of its
# own, unless this tree is already one.
if(LENET_ONNX_SANITIZER_TESTS AND (LENET_ONNX_OPENCL OR LENET_ONNX_VULKAN))
  add_test(NAME without_gpu_backends
    COMMAND ${CMAKE_COMMAND}
      -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
      -DBUILD_DIR=${CMAKE_BINARY_DIR}/without-gpu-backends
      -DORT_DIR=${LENET_ONNX_ORT_DIR}
      -P ${CMAKE_CURRENT_SOURCE_DIR}/run_without_gpu_backends.cmake)
  set_tests_properties(without_gpu_backends PROPERTIES TIMEOUT 900 RUN_SERIAL TRUE)
endif()
