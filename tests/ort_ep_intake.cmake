# The ONNX Runtime EP's graph intake under a fake ONNX Runtime (tests/fuzz_ort_ep.c built with
# FAKE_ORT_STANDALONE, tests/fake_ort_graph.c): seeds with known results, each with every
# accessor failing in turn, nested views and hostile graphs (a 100,000-node chain, INT64_MAX
# dims, initializers whose bytes disagree with their shapes). Needs only ONNX Runtime's headers.
# The same program writes the seed corpus of the fuzz target fuzz_ort_ep (tests/fuzz.cmake).
if(LENET_ONNX_ORT_FOUND)
  add_executable(test_ort_ep_intake ${CMAKE_CURRENT_LIST_DIR}/fuzz_ort_ep.c
                                    ${CMAKE_CURRENT_LIST_DIR}/fake_ort_graph.c)
  target_compile_definitions(test_ort_ep_intake PRIVATE FAKE_ORT_STANDALONE)
  target_include_directories(test_ort_ep_intake SYSTEM PRIVATE ${LENET_ONNX_ORT_INCLUDE_DIR})
  target_link_libraries(test_ort_ep_intake PRIVATE lenet_onnx_core)
  add_test(NAME ort_ep_intake COMMAND test_ort_ep_intake)
  set_tests_properties(ort_ep_intake PROPERTIES TIMEOUT 300)
endif()
