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
  if(NOT line MATCHES " lenet_onnx_get_api(@@LENET_ONNX_1)?$" AND NOT line MATCHES " LENET_ONNX_1$")
    message(FATAL_ERROR "the plugin exports more than its entry point: ${line}")
  endif()
endforeach()
# The installed command loads the installed plugin (<prefix>/bin/../<libdir>), no RUNPATH.
execute_process(COMMAND ${PREFIX}/bin/lenet-onnx-run --device list RESULT_VARIABLE result
                OUTPUT_QUIET)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the installed lenet-onnx-run does not run (${result})")
endif()
# A host compiled against the installed tree with pkg-config alone, then run.
set(ENV{PKG_CONFIG_PATH} "${PREFIX}/${LIBDIR}/pkgconfig")
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs lenet-onnx
                OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE result)
if(NOT result EQUAL 0 OR NOT flags MATCHES "-llenet-onnx")
  message(FATAL_ERROR "pkg-config --cflags --libs lenet-onnx failed: ${flags}")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
execute_process(COMMAND ${CC} ${CFLAGS} ${EXAMPLE} ${flags} -o ${PREFIX}/host_example
                RESULT_VARIABLE result ERROR_VARIABLE errors)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "compiling ${EXAMPLE} with pkg-config's flags (${flags}) failed:\n${errors}")
endif()
set(ENV{LD_LIBRARY_PATH} "${PREFIX}/${LIBDIR}")
execute_process(COMMAND ${PREFIX}/host_example ${PREFIX}/share/lenet-onnx/lenet.onnx
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE errors)
if(NOT result EQUAL 0 OR NOT output MATCHES "^input: class [0-9] of 10")
  message(FATAL_ERROR "the pkg-config host failed (${result}): ${output}${errors}")
endif()
message(STATUS "pkg-config host: ${output}")
message(STATUS "installed tree complete; exports: ${exported}")
