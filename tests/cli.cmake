# lenet-onnx-run: its PNG decoding and image preparation (test_png, no device needed) and the
# command itself end to end (tests/check_run_json.py, one subcommand per test).

add_executable(test_png test_png.c ${PROJECT_SOURCE_DIR}/tools/png_image.c
                        ${PROJECT_SOURCE_DIR}/tools/file_read.c
                        ${PROJECT_SOURCE_DIR}/tools/image_prep.c)
target_include_directories(test_png PRIVATE ${PROJECT_SOURCE_DIR}/tools)
target_link_libraries(test_png PRIVATE PNG::PNG m)
add_test(NAME png COMMAND test_png ${PROJECT_SOURCE_DIR}/tests/fixtures)
set_tests_properties(png PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                                    ENVIRONMENT "${LENET_ONNX_TEST_ENV}")

# The tools' shared code without a device: parsing, JSON, statistics, labels, input streams.
add_executable(test_tools test_tools.c ${PROJECT_SOURCE_DIR}/tools/bench_stats.c
               ${PROJECT_SOURCE_DIR}/tools/run_inputs.c ${PROJECT_SOURCE_DIR}/tools/run_settings.c)
target_include_directories(test_tools PRIVATE ${PROJECT_SOURCE_DIR}/tools)
target_link_libraries(test_tools PRIVATE lo_tools_common)
add_test(NAME tools COMMAND test_tools)

# JPEG inputs for the CLI checks, written with libjpeg and read back through the tools' loader.
find_package(JPEG REQUIRED)
add_executable(make_jpeg make_jpeg.c ${PROJECT_SOURCE_DIR}/tools/image_load.c
               ${PROJECT_SOURCE_DIR}/tools/png_image.c ${PROJECT_SOURCE_DIR}/tools/jpeg_image.c
               ${PROJECT_SOURCE_DIR}/tools/file_read.c)
target_include_directories(make_jpeg PRIVATE ${PROJECT_SOURCE_DIR}/tools)
target_link_libraries(make_jpeg PRIVATE PNG::PNG JPEG::JPEG m)

# The checker uses the standard library only: CI installs python3 without numpy.
find_package(Python3 REQUIRED COMPONENTS Interpreter)

#   batch        all samples as one batch vs PyTorch's outputs (1e-4), labels, order, JSON shape
#   single       the same, one process per image, and one by one through a static-batch model
#   formats      every PNG colour type / depth of one picture gives gray8.png's output
#   bad_input    malformed models, PNGs and options: exit 2, one stderr line, no crash
#   device_list  --device list exits 0 and lists a device
#   options      --top, --labels, --mean/--std forms, table output, --verbose, --backend
#   exports      the exporter matrix (opsets 9-17, flatten styles, static batch) vs PyTorch
#   many         300 images as one batch vs PyTorch
#   defaults     no options = the fully specified command (metadata), labels beside the model,
#                --verbose names each setting's source, a label count that disagrees fails
#   dataset      folders, '-' on stdin, --batch streaming, --keep-going, --jsonl, and 10,000
#                images through --batch 256 in bounded memory
#   formats_more JPEG (make_jpeg) and raw .npy / .pb tensors against the PNG's own result
#   hostile      devices, FIFOs, folders and swapped operands as model, image and labels
#   info         --info and --info --json describe the bundled model
#   tools        --help, --version, unknown options, --device list --json in all three tools
#   external     a model with external data runs; escaping locations are refused
#   compare      --compare-backend ref: per-step errors, the first step past tolerance
#   plan_svg     --plan-svg: one labelled rectangle per arena buffer, none overlapping
# The checks of numbers against PyTorch's (batch, single, exports, defaults) run on every
# backend built (lo_backend_test); the others test the tool, on the automatic backend.
set(lo_cli_env ${LENET_ONNX_TEST_ENV} "LENET_ONNX_TEST_MAKE_JPEG=$<TARGET_FILE:make_jpeg>"
    "LENET_ONNX_TEST_BENCH=$<TARGET_FILE:lenet-onnx-bench>"
    "LENET_ONNX_TEST_CHECK=$<TARGET_FILE:lenet-onnx-check>")
foreach(check batch single formats bad_input device_list options exports many defaults dataset
              formats_more hostile info tools external compare plan_svg)
  set(command ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/check_run_json.py ${check}
              $<TARGET_FILE:lenet-onnx-run>)
  if(check MATCHES "^(batch|single|exports|defaults|compare)$")
    lo_backend_test(NAME cli_${check} COMMAND ${command} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                    ENVIRONMENT ${lo_cli_env} TIMEOUT 600)
  else()
    add_test(NAME cli_${check} COMMAND ${command} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(cli_${check} PROPERTIES ENVIRONMENT "${lo_cli_env}" TIMEOUT 600)
  endif()
endforeach()

# The plugin is dlopen'ed: --plugin and LENET_ONNX_PLUGIN override the search, bad paths exit 1.
add_test(NAME cli_plugin
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/check_run_json.py plugin
                 $<TARGET_FILE:lenet-onnx-run>)
set_tests_properties(cli_plugin PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  ENVIRONMENT "${LENET_ONNX_TEST_ENV};LENET_ONNX_TEST_PLUGIN=$<TARGET_FILE:lenet-onnx>"
  TIMEOUT 120)
