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
    ${PROJECT_SOURCE_DIR}/plugin/graph/ir.c
    ${PROJECT_SOURCE_DIR}/plugin/base/status.c
    ${PROJECT_SOURCE_DIR}/plugin/base/alloc.c
    ${PROJECT_SOURCE_DIR}/plugin/base/blob.c
    ${PROJECT_SOURCE_DIR}/plugin/base/tensor_shape.c
    ${PROJECT_SOURCE_DIR}/onnx/onnx_loader.c
    ${PROJECT_SOURCE_DIR}/onnx/onnx_tensor.c
    ${PROJECT_SOURCE_DIR}/onnx/onnx_attr.c
    ${PROJECT_SOURCE_DIR}/onnx/onnx_metadata.c
    ${PROJECT_SOURCE_DIR}/onnx/onnx_external.c
    ${PROJECT_SOURCE_DIR}/plugin/graph/model_info.c)
  target_include_directories(fuzz_loader PRIVATE
    ${PROJECT_SOURCE_DIR}/plugin/graph ${PROJECT_SOURCE_DIR}/plugin/base
    ${PROJECT_SOURCE_DIR}/plugin/seam ${PROJECT_SOURCE_DIR}/plugin/include ${PROJECT_SOURCE_DIR}/onnx)
  target_compile_options(fuzz_loader PRIVATE -fsanitize=fuzzer,address,undefined
                         -fno-sanitize-recover=undefined)
  target_link_options(fuzz_loader PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_loader PRIVATE lo_onnx_proto)
endif()

# A model's metadata and external data through the function table (tests/test_model_data.c).
add_executable(test_model_data ${CMAKE_CURRENT_LIST_DIR}/test_model_data.c)
target_link_libraries(test_model_data PRIVATE lenet_onnx_core)
add_test(NAME model_data COMMAND test_model_data WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(model_data PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}")
