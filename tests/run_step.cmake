# run(COMMAND...): runs a command of a test script, failing the script (and so the test) with
# the command line when it fails. Included by the run_*.cmake scripts.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${ARGN}")
  endif()
endfunction()
