# The threads test (several sessions on one context, one session on two threads) in a
# ThreadSanitizer build of its own, as one test of this tree.
if(LENET_ONNX_SANITIZER_TESTS AND NOT LENET_ONNX_SANITIZE AND NOT LENET_ONNX_SANITIZE_THREAD)
  add_test(NAME tsan_threads
    COMMAND ${CMAKE_COMMAND}
      -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
      -DBUILD_DIR=${CMAKE_BINARY_DIR}/tsan
      -DSUPPRESSIONS=${CMAKE_CURRENT_SOURCE_DIR}/tsan.supp
      -P ${CMAKE_CURRENT_SOURCE_DIR}/run_tsan.cmake)
  set_tests_properties(tsan_threads PROPERTIES TIMEOUT 1200 RUN_SERIAL TRUE)
endif()
