# The IR and the ONNX loader (tests/test_loader.c), against the committed fixtures in
# tests/fixtures/models (made by tests/fixtures/make_models.py) and the Debian ONNX test data.
add_executable(test_loader ${CMAKE_CURRENT_LIST_DIR}/test_loader.c)
target_link_libraries(test_loader PRIVATE lenet_onnx_core)
add_test(NAME loader COMMAND test_loader WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(loader PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}")

# libFuzzer target (clang only; not part of ctest). The loader's own sources are compiled into
# it so that libFuzzer's coverage instrumentation sees them.
if(CMAKE_C_COMPILER_ID MATCHES Clang)
  add_executable(fuzz_loader
    ${CMAKE_CURRENT_LIST_DIR}/fuzz_loader.c
    ${PROJECT_SOURCE_DIR}/plugin/ir.c
    ${PROJECT_SOURCE_DIR}/plugin/status.c
    ${PROJECT_SOURCE_DIR}/onnx/onnx_loader.c
    ${PROJECT_SOURCE_DIR}/onnx/onnx_tensor.c
    ${PROJECT_SOURCE_DIR}/onnx/onnx_attr.c)
  target_include_directories(fuzz_loader PRIVATE
    ${PROJECT_SOURCE_DIR}/plugin ${PROJECT_SOURCE_DIR}/plugin/include ${PROJECT_SOURCE_DIR}/onnx)
  target_compile_options(fuzz_loader PRIVATE -fsanitize=fuzzer,address,undefined
                         -fno-sanitize-recover=undefined)
  target_link_options(fuzz_loader PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_loader PRIVATE lo_onnx_proto)
endif()

# Hostile models generated from the reproducers of issue 9 (nesting, hangs, overflow,
# limits, 100,000 nodes), through load, passes and a trial plan.
add_executable(test_hostile ${CMAKE_CURRENT_LIST_DIR}/test_hostile.c)
target_link_libraries(test_hostile PRIVATE lenet_onnx_core)
target_include_directories(test_hostile PRIVATE ${CMAKE_CURRENT_LIST_DIR})
add_test(NAME hostile COMMAND test_hostile WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(hostile PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 300)
