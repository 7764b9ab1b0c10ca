# The IR and the ONNX loader (tests/test_loader.c), against the committed fixtures in
# tests/fixtures/models (made by tests/fixtures/make_models.py) and the Debian ONNX test data.
add_executable(test_loader ${CMAKE_CURRENT_LIST_DIR}/test_loader.c)
target_link_libraries(test_loader PRIVATE lenet_onnx_core)
add_test(NAME loader COMMAND test_loader WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(loader PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}")

# A model's metadata and external data through the function table (tests/test_model_data.c).
add_executable(test_model_data ${CMAKE_CURRENT_LIST_DIR}/test_model_data.c)
target_link_libraries(test_model_data PRIVATE lenet_onnx_core)
add_test(NAME model_data COMMAND test_model_data WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(model_data PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}")

# Hostile models generated from the reproducers of issue 9 (nesting, hangs, overflow,
# limits, 100,000 nodes), through load, passes and a trial plan.
add_executable(test_hostile ${CMAKE_CURRENT_LIST_DIR}/test_hostile.c)
target_link_libraries(test_hostile PRIVATE lenet_onnx_core)
target_include_directories(test_hostile PRIVATE ${CMAKE_CURRENT_LIST_DIR})
add_test(NAME hostile COMMAND test_hostile WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(hostile PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 300)
