# The plugin as an ONNX Runtime execution provider (tests/test_ort_ep.c), when ONNX Runtime was
# found. Its library is dlopen'd under the name it was built with, libonnxruntime.so.1, next to
# libonnxruntime_providers_shared.so, which it loads from its own folder.
if(LENET_ONNX_ORT_FOUND AND LENET_ONNX_ORT_LIBRARY)
  set(ort_lib_dir ${CMAKE_BINARY_DIR}/ort-lib)
  get_filename_component(ort_pkg_lib_dir ${LENET_ONNX_ORT_LIBRARY} DIRECTORY)
  file(MAKE_DIRECTORY ${ort_lib_dir})
  file(CREATE_LINK ${LENET_ONNX_ORT_LIBRARY} ${ort_lib_dir}/libonnxruntime.so.1 SYMBOLIC)
  if(EXISTS ${ort_pkg_lib_dir}/libonnxruntime_providers_shared.so)
    file(CREATE_LINK ${ort_pkg_lib_dir}/libonnxruntime_providers_shared.so
         ${ort_lib_dir}/libonnxruntime_providers_shared.so SYMBOLIC)
  endif()

  add_executable(test_ort_ep test_ort_ep.c ${PROJECT_SOURCE_DIR}/tools/png_image.c
                 ${PROJECT_SOURCE_DIR}/tools/image_prep.c)
  target_include_directories(test_ort_ep PRIVATE ${PROJECT_SOURCE_DIR}/tools)
  target_include_directories(test_ort_ep SYSTEM PRIVATE ${LENET_ONNX_ORT_INCLUDE_DIR})
  target_link_libraries(test_ort_ep PRIVATE PNG::PNG m ${CMAKE_DL_LIBS})
  add_dependencies(test_ort_ep lenet-onnx)

  file(GLOB ort_export_models ${PROJECT_SOURCE_DIR}/tests/fixtures/exports/*.onnx)
  add_test(NAME ort_ep
    COMMAND test_ort_ep ${ort_lib_dir}/libonnxruntime.so.1 $<TARGET_FILE:lenet-onnx>
            ${PROJECT_SOURCE_DIR}/models/lenet.onnx ${ort_export_models}
            -- ${PROJECT_SOURCE_DIR}/tests/fixtures/models/ort_unsupported.onnx
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(ort_ep PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 300)
elseif(LENET_ONNX_ORT_FOUND)
  message(WARNING "ONNX Runtime headers found but not libonnxruntime.so: test ort_ep is not added")
endif()
