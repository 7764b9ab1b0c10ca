# The arena planner: a pure module, tested against an independent checker and a brute-force
# reference placement.
add_executable(test_planner test_planner.c)
target_link_libraries(test_planner PRIVATE lenet_onnx_core)
add_test(NAME planner COMMAND test_planner)
set_tests_properties(planner PROPERTIES LABELS "unit" TIMEOUT 60
                     ENVIRONMENT "${LENET_ONNX_TEST_ENV}")

# What each planned step costs (FLOPs, bytes), against hand-computed values.
add_executable(test_step_cost test_step_cost.c)
target_link_libraries(test_step_cost PRIVATE lenet_onnx_core)
add_test(NAME planner_step_cost COMMAND test_step_cost)
set_tests_properties(planner_step_cost PROPERTIES LABELS "unit" TIMEOUT 60
                     ENVIRONMENT "${LENET_ONNX_TEST_ENV}")

# Graph inputs a host backend reads where the caller holds them, on hand-built plans.
add_executable(test_input_in_place test_input_in_place.c)
target_link_libraries(test_input_in_place PRIVATE lo_seam)
add_test(NAME input_in_place COMMAND test_input_in_place)
set_tests_properties(input_in_place PROPERTIES LABELS "unit" TIMEOUT 60)
