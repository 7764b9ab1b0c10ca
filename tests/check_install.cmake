file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
                RESULT_VARIABLE result OUTPUT_QUIET)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install failed")
endif()
foreach(path bin/lenet-onnx-run bin/lenet-onnx-bench bin/lenet-onnx-check
             ${LIBDIR}/liblenet-onnx.so include/lenet-onnx/lenet_onnx.h
             ${LIBDIR}/pkgconfig/lenet-onnx.pc ${LIBDIR}/cmake/lenet-onnx/lenet-onnx-config.cmake
             ${LIBDIR}/cmake/lenet-onnx/lenet-onnx-config-version.cmake
             share/man/man1/lenet-onnx-run.1 share/man/man1/lenet-onnx-bench.1
             share/man/man1/lenet-onnx-check.1)
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
# The installed command loads the installed plugin (<prefix>/bin/../<libdir>), no RUNPATH.
execute_process(COMMAND ${PREFIX}/bin/lenet-onnx-run --device list RESULT_VARIABLE result
                OUTPUT_QUIET)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the installed lenet-onnx-run does not run (${result})")
endif()
# Installed programs print no build-tree path (they find the plugin and ONNX Runtime relative
# to themselves): not in --help, --version, a device listing or an error.
foreach(tool lenet-onnx-run lenet-onnx-bench lenet-onnx-check)
  execute_process(COMMAND ${PREFIX}/bin/${tool} --device list OUTPUT_VARIABLE listing
                  ERROR_VARIABLE listing)
  execute_process(COMMAND ${PREFIX}/bin/${tool} --frobnicate ERROR_VARIABLE usage_error)
  execute_process(COMMAND ${PREFIX}/bin/${tool} --help OUTPUT_VARIABLE help RESULT_VARIABLE result)
  execute_process(COMMAND ${PREFIX}/bin/${tool} --version OUTPUT_VARIABLE version)
  if(NOT result EQUAL 0 OR NOT version MATCHES "library: lenet-onnx .*${PREFIX}/${LIBDIR}/liblenet-onnx")
    message(FATAL_ERROR "${tool} --help/--version: ${help}${version}")
  endif()
  # The test's prefix lies in the build tree: paths inside it are the installed tree's.
  string(REPLACE "${PREFIX}" "<prefix>" printed "${listing}${usage_error}${help}${version}")
  if(printed MATCHES "${BUILD_DIR}|${SOURCE_DIR}")
    message(FATAL_ERROR "${tool} prints a build-tree path: ${printed}")
  endif()
endforeach()
# A host compiled against the installed tree with pkg-config alone, then run. The .pc's paths
# are clean: absolute, normalised, inside the prefix.
set(ENV{PKG_CONFIG_PATH} "${PREFIX}/${LIBDIR}/pkgconfig")
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs lenet-onnx
                OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE result)
if(NOT result EQUAL 0 OR NOT flags MATCHES "-llenet-onnx")
  message(FATAL_ERROR "pkg-config --cflags --libs lenet-onnx failed: ${flags}")
endif()
if(NOT flags STREQUAL "-I${PREFIX}/include -L${PREFIX}/${LIBDIR} -llenet-onnx")
  message(FATAL_ERROR "pkg-config's paths are not the clean install paths: ${flags}")
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
# A CMake project finds the installed package and links the imported target.
set(consumer ${PREFIX}/find-package-host)
file(MAKE_DIRECTORY ${consumer})
file(WRITE ${consumer}/CMakeLists.txt "cmake_minimum_required(VERSION 3.25)
project(lenet_onnx_consumer C)
find_package(lenet-onnx 0.1 REQUIRED)
add_executable(host_example ${EXAMPLE})
target_link_libraries(host_example PRIVATE lenet-onnx::lenet-onnx)
")
execute_process(COMMAND ${CMAKE_COMMAND} -S ${consumer} -B ${consumer}/build
                        -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_C_COMPILER=${CC}
                        "-DCMAKE_C_FLAGS=${CFLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CFLAGS}"
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE errors)
if(result EQUAL 0)
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${consumer}/build
                  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE errors)
endif()
if(NOT result EQUAL 0)
  message(FATAL_ERROR "find_package(lenet-onnx) host did not build:\n${output}${errors}")
endif()
execute_process(COMMAND ${consumer}/build/host_example ${PREFIX}/share/lenet-onnx/lenet.onnx
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE errors)
if(NOT result EQUAL 0 OR NOT output MATCHES "^input: class [0-9] of 10")
  message(FATAL_ERROR "the find_package host failed (${result}): ${output}${errors}")
endif()
message(STATUS "find_package host: ${output}")
