file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
                RESULT_VARIABLE result OUTPUT_QUIET)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install failed")
endif()
foreach(path bin/lenet-onnx-run bin/lenet-onnx-bench bin/lenet-onnx-check
             ${LIBDIR}/liblenet-onnx.so include/lenet-onnx/lenet_onnx.h
             ${LIBDIR}/pkgconfig/lenet-onnx.pc)
  if(NOT EXISTS ${PREFIX}/${path})
    message(FATAL_ERROR "missing from the installed tree: ${path}")
  endif()
endforeach()
execute_process(COMMAND nm -D --defined-only ${PREFIX}/${LIBDIR}/liblenet-onnx.so
                OUTPUT_VARIABLE symbols RESULT_VARIABLE result)
string(REGEX MATCHALL "[^\n]* [TDBRW] [^\n]*" exported "${symbols}")
if(NOT result EQUAL 0 OR NOT exported MATCHES "lenet_onnx_get_api")
  message(FATAL_ERROR "nm -D failed or lenet_onnx_get_api is not exported:\n${symbols}")
endif()
foreach(line ${exported})
  # CreateEpFactories and ReleaseEpFactory: ONNX Runtime's plugin EP entry points.
  if(NOT line MATCHES " (lenet_onnx_get_api|CreateEpFactories|ReleaseEpFactory)(@@LENET_ONNX_1)?$"
     AND NOT line MATCHES " LENET_ONNX_1$")
    message(FATAL_ERROR "the plugin exports more than its entry points: ${line}")
  endif()
endforeach()
# The installed command finds its library through its RUNPATH.
execute_process(COMMAND ${PREFIX}/bin/lenet-onnx-run --device list RESULT_VARIABLE result
                OUTPUT_QUIET)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the installed lenet-onnx-run does not run (${result})")
endif()
message(STATUS "installed tree complete; exports: ${exported}")
