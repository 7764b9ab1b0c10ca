# The op-table rows of the pooling and data-movement ops: versions, shapes, steps, messages.
add_executable(test_ops_plan test_ops_plan.c)
target_link_libraries(test_ops_plan PRIVATE lenet_onnx_core)
target_include_directories(test_ops_plan PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
add_test(NAME ops_plan COMMAND test_ops_plan)
set_tests_properties(ops_plan PROPERTIES LABELS "unit" TIMEOUT 60
                     ENVIRONMENT "${LENET_ONNX_TEST_ENV}")
