# cmake -P script: lenet-onnx-check tells a numeric mismatch (FAIL) from data it cannot feed
# (SKIP), and --summary counts the skip causes.
#   -DCHECK=<lenet-onnx-check> -DNODE=<node test root> -DWORK=<scratch folder>
set(bad "${WORK}/test_relu_wrong_output")
file(REMOVE_RECURSE "${bad}")
file(COPY "${NODE}/test_relu/" DESTINATION "${bad}")
# relu(x) != x where x has negatives: the expected output is now simply wrong.
file(COPY_FILE "${NODE}/test_relu/test_data_set_0/input_0.pb"
     "${bad}/test_data_set_0/output_0.pb")

execute_process(
  COMMAND "${CHECK}" --summary "${NODE}/test_relu" "${bad}" "${NODE}/test_identity_sequence"
          "${NODE}/test_cast_FLOAT_to_STRING" "${NODE}/test_optional_has_element"
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  RESULT_VARIABLE rc)
set(all "stdout:\n${out}\nstderr:\n${err}")
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "exit ${rc}, expected 1 (one directory failed)\n${all}")
endif()
foreach(want
    "test_relu: PASS\n"
    "test_relu_wrong_output: FAIL max_abs_err="
    "test_identity_sequence: SKIP unsupported sequence input 'x'\n"
    "test_cast_FLOAT_to_STRING: SKIP unsupported dtype string output 'output'\n"
    "test_optional_has_element: SKIP unsupported optional input 'optional_input'\n"
    "1 passed, 1 failed, 3 skipped\n")
  string(FIND "${out}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "stdout lacks '${want}'\n${all}")
  endif()
endforeach()
foreach(want "skip causes (3 directories):" "1  sequence value" "1  dtype string"
             "1  optional value")
  string(FIND "${err}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "--summary on stderr lacks '${want}'\n${all}")
  endif()
endforeach()
message(STATUS "${out}")
