# ONNX conformance: the ONNX backend node tests for the ops LeNet exports use, run through the public
# ABI by lenet-onnx-check; plus a smoke run of lenet-onnx-bench (benchmarks are not tests, this
# only proves the tool runs and its --json output parses).
#
# This file is also a `cmake -P` script: run that way it performs the bench smoke check.

if(CMAKE_SCRIPT_MODE_FILE)
  # Script mode: -DBENCH=<lenet-onnx-bench> -DMODEL=<model.onnx> [-DCOMPARE_ORT=ON]
  set(ort_args)
  if(COMPARE_ORT)
    set(ort_args --compare-ort)
  endif()
  execute_process(
    COMMAND "${BENCH}" --batch 1,2 --seconds 0.1 --json ${ort_args} "${MODEL}"
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "lenet-onnx-bench exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
  endif()
  string(JSON n ERROR_VARIABLE json_err LENGTH "${out}" results)
  if(json_err)
    message(FATAL_ERROR "lenet-onnx-bench --json output does not parse (${json_err}):\n${out}")
  endif()
  if(n LESS 1)
    message(FATAL_ERROR "expected at least one result, got ${n}:\n${out}")
  endif()
  set(runtimes_seen)
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    foreach(key runtime backend device batch median_ms p99_ms images_per_s arena_bytes)
      string(JSON value ERROR_VARIABLE json_err GET "${out}" results ${i} ${key})
      if(json_err)
        message(FATAL_ERROR "results[${i}] lacks \"${key}\" (${json_err}):\n${out}")
      endif()
    endforeach()
    string(JSON runtime GET "${out}" results ${i} runtime)
    string(JSON median GET "${out}" results ${i} median_ms)
    string(JSON p99 GET "${out}" results ${i} p99_ms)
    string(JSON ips GET "${out}" results ${i} images_per_s)
    string(JSON batch GET "${out}" results ${i} batch)
    if(NOT runtime MATCHES "^(lenet-onnx|onnxruntime)$" OR NOT median GREATER 0
       OR p99 LESS median OR NOT ips GREATER 0)
      message(FATAL_ERROR "results[${i}]: runtime '${runtime}', median_ms '${median}', "
                          "p99_ms '${p99}', images_per_s '${ips}':\n${out}")
    endif()
    # the network's FLOPs (the library's count) and GFLOP/s on every row
    string(JSON flops GET "${out}" results ${i} flops_per_run)
    string(JSON gflops GET "${out}" results ${i} gflops)
    if(NOT flops GREATER 0 OR NOT gflops GREATER 0)
      message(FATAL_ERROR "results[${i}]: flops_per_run '${flops}', gflops '${gflops}':\n${out}")
    endif()
    # ABI 4 memory on lenet-onnx's rows: LeNet's plan reaches the lower bound
    if(runtime STREQUAL "lenet-onnx")
      string(JSON arena GET "${out}" results ${i} arena_bytes)
      string(JSON bound GET "${out}" results ${i} arena_lower_bound_bytes)
      string(JSON device_consts GET "${out}" results ${i} device_constant_bytes)
      string(JSON model_consts GET "${out}" results ${i} model_constant_bytes)
      if(NOT arena EQUAL bound OR NOT model_consts EQUAL 484728
         OR device_consts LESS model_consts)
        message(FATAL_ERROR "results[${i}]: arena ${arena}, lower bound ${bound}, constants "
                            "${model_consts} (model) ${device_consts} (device):\n${out}")
      endif()
    endif()
    list(APPEND runtimes_seen "${runtime}:${batch}")
  endforeach()
  string(JSON peak GET "${out}" peak_gflops)
  string(JSON peak_source GET "${out}" peak_source)
  if(NOT peak GREATER 0 OR NOT peak_source STREQUAL "measured")
    message(FATAL_ERROR "peak_gflops '${peak}' (${peak_source}):\n${out}")
  endif()
  # one comparison per batch when comparing, none otherwise
  string(JSON n_cmp LENGTH "${out}" comparisons)
  if(COMPARE_ORT)
    set(want_cmp 2)
  else()
    set(want_cmp 0)
  endif()
  if(NOT n_cmp EQUAL want_cmp)
    message(FATAL_ERROR "expected ${want_cmp} comparisons, got ${n_cmp}:\n${out}")
  endif()
  if(COMPARE_ORT)
    foreach(i RANGE 1)
      string(JSON tput GET "${out}" comparisons ${i} images_per_s_ratio)
      string(JSON lat GET "${out}" comparisons ${i} median_latency_ratio)
      if(NOT tput GREATER 0 OR NOT lat GREATER 0)
        message(FATAL_ERROR "comparisons[${i}]: ${tput}, ${lat}:\n${out}")
      endif()
    endforeach()
  endif()
  # each batch once per runtime; ONNX Runtime's rows only when comparing
  set(expected lenet-onnx:1 lenet-onnx:2)
  if(COMPARE_ORT)
    list(APPEND expected onnxruntime:1 onnxruntime:2)
  endif()
  list(SORT runtimes_seen)
  if(NOT runtimes_seen STREQUAL expected)
    message(FATAL_ERROR "expected rows ${expected}, got ${runtimes_seen}:\n${out}\n${err}")
  endif()
  message(STATUS "lenet-onnx-bench --json: ${out}")
  return()
endif()

# The directories are listed at configure time; an ONNX release that adds cases to these
# families needs a re-configure to pick them up.
set(LENET_ONNX_NODE_TEST_ROOT "/usr/share/libonnx-testdata/data/node"
    CACHE PATH "Folder of the ONNX backend node test directories")
file(GLOB LENET_ONNX_NODE_TEST_DIRS LIST_DIRECTORIES true
  "${LENET_ONNX_NODE_TEST_ROOT}/test_basic_conv_*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_conv_*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_maxpool_2d_*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_relu"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_gemm_*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_flatten_*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_reshape_*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_averagepool_2d_*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_globalaveragepool*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_globalmaxpool*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_concat_*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_transpose_*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_squeeze*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_unsqueeze*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_sigmoid*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_tanh*"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_leakyrelu*"
  # Clip's int8 cases are left out: float only.
  "${LENET_ONNX_NODE_TEST_ROOT}/test_clip"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_clip_default_inbounds"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_clip_default_max"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_clip_default_min"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_clip_example"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_clip_inbounds"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_clip_outbounds"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_clip_splitbounds"
  # Binary ops: the uint8 cases are left out (float only).
  "${LENET_ONNX_NODE_TEST_ROOT}/test_add"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_add_bcast"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_sub"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_sub_bcast"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_sub_example"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_mul"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_mul_bcast"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_mul_example"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_div"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_div_bcast"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_div_example"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_prelu_*"
  # Softmax and LogSoftmax themselves; the *_expanded cases spell them in ReduceMax, Exp, ...
  "${LENET_ONNX_NODE_TEST_ROOT}/test_softmax_axis_[0-9]"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_softmax_default_axis"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_softmax_example"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_softmax_large_number"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_softmax_negative_axis"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_logsoftmax_axis_[0-9]"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_logsoftmax_default_axis"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_logsoftmax_example_1"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_logsoftmax_large_number"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_logsoftmax_negative_axis"
  # Inference only: the *_training_mode cases are left out.
  "${LENET_ONNX_NODE_TEST_ROOT}/test_batchnorm_epsilon"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_batchnorm_example"
  "${LENET_ONNX_NODE_TEST_ROOT}/test_matmul_[0-9]d")
# Not listed: test_constant_pad, whose pads and value are graph inputs known only at run time
# (Pad needs them as constants, so it is rejected as unsupported, a SKIP here).
list(SORT LENET_ONNX_NODE_TEST_DIRS)

if(LENET_ONNX_NODE_TEST_DIRS)
  # Every case of these ops must pass: an unsupported case is a failure here, not a skip.
  lo_backend_test(NAME onnx_node_tests
                  COMMAND lenet-onnx-check ${LENET_ONNX_NODE_TEST_DIRS}
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  ENVIRONMENT ${LENET_ONNX_TEST_ENV}
                  FAIL_REGULAR_EXPRESSION "FAIL|SKIP" TIMEOUT 1200)
else()
  message(WARNING "no ONNX node tests under ${LENET_ONNX_NODE_TEST_ROOT} "
                  "(package libonnx-testdata): onnx_node_tests not added")
endif()

# How torch exports average, global and ceil-mode pooling, padding, run-time concatenation
# and permutes at opsets 9-17, against torch's outputs (tests/fixtures/
# make_pool_layout_exports.py writes them).
file(GLOB LENET_ONNX_POOL_LAYOUT_DIRS LIST_DIRECTORIES true
  "${PROJECT_SOURCE_DIR}/tests/fixtures/pool_layout_exports/*")
list(SORT LENET_ONNX_POOL_LAYOUT_DIRS)
lo_backend_test(NAME pool_layout_exports
                COMMAND lenet-onnx-check ${LENET_ONNX_POOL_LAYOUT_DIRS}
                WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                ENVIRONMENT ${LENET_ONNX_TEST_ENV}
                FAIL_REGULAR_EXPRESSION "FAIL|SKIP" TIMEOUT 600)
# The op forms the node tests miss (legacy versions, constant bounds, 1-D MatMul), written by
# tests/fixtures/make_op_tests.py with numpy's results.
file(GLOB LENET_ONNX_OP_FIXTURE_DIRS LIST_DIRECTORIES true "${CMAKE_CURRENT_LIST_DIR}/fixtures/ops/*")
list(SORT LENET_ONNX_OP_FIXTURE_DIRS)
lo_backend_test(NAME op_fixture_tests
                COMMAND lenet-onnx-check ${LENET_ONNX_OP_FIXTURE_DIRS}
                WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                ENVIRONMENT ${LENET_ONNX_TEST_ENV}
                FAIL_REGULAR_EXPRESSION "FAIL|SKIP" TIMEOUT 300)

add_test(NAME bench_smoke_json
         COMMAND ${CMAKE_COMMAND} -DBENCH=$<TARGET_FILE:lenet-onnx-bench>
                 -DMODEL=${PROJECT_SOURCE_DIR}/models/lenet.onnx -P ${CMAKE_CURRENT_LIST_FILE}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(bench_smoke_json PROPERTIES
  ENVIRONMENT "${LENET_ONNX_TEST_ENV}"
  TIMEOUT 300)
# --compare-ort against the build's ONNX Runtime link, which the bench loads by default.
if(LENET_ONNX_ORT_FOUND AND LENET_ONNX_ORT_LIB_DIR)
  add_test(NAME bench_smoke_ort_json
           COMMAND ${CMAKE_COMMAND} -DBENCH=$<TARGET_FILE:lenet-onnx-bench>
                   -DMODEL=${PROJECT_SOURCE_DIR}/models/lenet.onnx -DCOMPARE_ORT=ON
                   -P ${CMAKE_CURRENT_LIST_FILE}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(bench_smoke_ort_json PROPERTIES
    ENVIRONMENT "${LENET_ONNX_TEST_ENV}"
    TIMEOUT 300)
endif()

# Every node test directory, selected by what the op table accepts rather than by a list: a
# directory whose model or data the library or the tool does not support is a SKIP, every
# other one must pass. --summary lists the skip causes (the ops most worth adding) on stderr.
file(GLOB LENET_ONNX_ALL_NODE_TEST_DIRS LIST_DIRECTORIES true
  "${LENET_ONNX_NODE_TEST_ROOT}/test_*")
list(SORT LENET_ONNX_ALL_NODE_TEST_DIRS)
if(LENET_ONNX_ALL_NODE_TEST_DIRS)
  add_test(NAME onnx_node_tests_all
           COMMAND lenet-onnx-check --summary ${LENET_ONNX_ALL_NODE_TEST_DIRS}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(onnx_node_tests_all PROPERTIES
    ENVIRONMENT "${LENET_ONNX_TEST_ENV}"
    FAIL_REGULAR_EXPRESSION ": FAIL"
    TIMEOUT 1200)
  # ...and what makes a FAIL and a SKIP there: a wrong expected output, a sequence, optional
  # or string value.
  add_test(NAME onnx_node_check_classify
           COMMAND ${CMAKE_COMMAND} -DCHECK=$<TARGET_FILE:lenet-onnx-check>
                   -DNODE=${LENET_ONNX_NODE_TEST_ROOT}
                   -DWORK=${CMAKE_CURRENT_BINARY_DIR}/node_check_classify
                   -P ${CMAKE_CURRENT_LIST_DIR}/check_node_check.cmake)
  set_tests_properties(onnx_node_check_classify PROPERTIES
    ENVIRONMENT "${LENET_ONNX_TEST_ENV}"
    TIMEOUT 300)
endif()
