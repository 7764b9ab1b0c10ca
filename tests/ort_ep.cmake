# The plugin as an ONNX Runtime execution provider (tests/test_ort_ep.c), when ONNX Runtime was
# found; ONNX Runtime is dlopen'd from the build's link folder (CMakeLists.txt).
if(LENET_ONNX_ORT_FOUND AND LENET_ONNX_ORT_LIBRARY)
  set(ort_lib_dir ${LENET_ONNX_ORT_LIB_DIR})

  add_executable(test_ort_ep test_ort_ep.c ${PROJECT_SOURCE_DIR}/tools/png_image.c
                 ${PROJECT_SOURCE_DIR}/tools/image_prep.c ${PROJECT_SOURCE_DIR}/tools/tensor_pb.c
                ${PROJECT_SOURCE_DIR}/tools/file_read.c)
  target_include_directories(test_ort_ep PRIVATE ${PROJECT_SOURCE_DIR}/tools
                                                 ${PROJECT_SOURCE_DIR}/plugin/include)
  target_include_directories(test_ort_ep SYSTEM PRIVATE ${LENET_ONNX_ORT_INCLUDE_DIR})
  target_link_libraries(test_ort_ep PRIVATE lo_onnx_proto PNG::PNG m ${CMAKE_DL_LIBS})
  add_dependencies(test_ort_ep lenet-onnx)

  file(GLOB ort_export_models ${PROJECT_SOURCE_DIR}/tests/fixtures/exports/*.onnx)
  # Backend-test-style directories (model.onnx, test_data_set_N/*.pb), fed their own inputs.
  file(GLOB ort_dir_models ${PROJECT_SOURCE_DIR}/tests/fixtures/pool_layout_exports/*/model.onnx
       ${PROJECT_SOURCE_DIR}/tests/fixtures/ops/*/model.onnx)
  set(ort_dirs)
  foreach(model IN LISTS ort_dir_models)
    get_filename_component(dir ${model} DIRECTORY)
    list(APPEND ort_dirs ${dir})
  endforeach()
  # tests/fixtures/models: the valid models our EP runs (on pseudo-random inputs; the dtypes
  # ones have no node and say SKIP), the valid ones our library rejects by design (Abs, If) and
  # the one with an op our EP lacks, whose split run with fallback is compared on the samples.
  # Every other fixture there is broken on purpose: ONNX Runtime itself must reject it, and
  # registering our EP must not change that (a new fixture lands there until classified).
  set(ort_fixture_dir ${PROJECT_SOURCE_DIR}/tests/fixtures/models)
  set(ort_random_names tiny_conv_raw tiny_conv_typed legacy_inputs no_shape_input dtypes_raw
                       dtypes_typed)
  set(ort_rejected_names unsorted graph_attr)
  set(ort_unsupported_names ort_unsupported)
  set(ort_random_models)
  set(ort_rejected_models)
  set(ort_invalid_models)
  file(GLOB ort_fixture_models ${ort_fixture_dir}/*.onnx)
  foreach(model IN LISTS ort_fixture_models)
    get_filename_component(name ${model} NAME_WE)
    if(name IN_LIST ort_random_names)
      list(APPEND ort_random_models ${model})
    elseif(name IN_LIST ort_rejected_names)
      list(APPEND ort_rejected_models ${model})
    elseif(NOT name IN_LIST ort_unsupported_names)
      list(APPEND ort_invalid_models ${model})
    endif()
  endforeach()
  file(GLOB ort_ops_rejected ${PROJECT_SOURCE_DIR}/tests/fixtures/ops_rejected/*.onnx)
  lo_backend_test(NAME ort_ep
    COMMAND test_ort_ep ${ort_lib_dir}/libonnxruntime.so.1 $<TARGET_FILE:lenet-onnx>
            ${PROJECT_SOURCE_DIR}/models/lenet.onnx ${ort_export_models}
            -- ${ort_fixture_dir}/ort_unsupported.onnx
            --dirs ${ort_dirs}
            --random ${ort_random_models}
            --rejected ${ort_rejected_models} ${ort_ops_rejected}
            --invalid ${ort_invalid_models}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    ENVIRONMENT ${LENET_ONNX_TEST_ENV} TIMEOUT 300)
elseif(LENET_ONNX_ORT_FOUND)
  message(WARNING "ONNX Runtime headers found but not libonnxruntime.so: test ort_ep is not added")
endif()
