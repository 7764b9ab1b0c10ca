# Fuzzing in CI. The main tree stays gcc: its ctests configure a clang-14 tree of their own
# (build/fuzz, LENET_ONNX_FUZZ=ON: everything instrumented for libFuzzer, ASan and UBSan),
# build the targets, fuzz each for a bounded time from the bundled models, fixtures and
# images (fuzz_ort_ep: from fake ONNX Runtime graphs that test_ort_ep_intake writes), and
# replay every input that ever failed (tests/fuzz/regressions/<target>/).
if(LENET_ONNX_FUZZ)
  foreach(target fuzz_model fuzz_loader)
    add_executable(${target} ${CMAKE_CURRENT_LIST_DIR}/${target}.c)
    target_link_libraries(${target} PRIVATE lenet_onnx_core)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
  endforeach()
  add_executable(fuzz_png ${CMAKE_CURRENT_LIST_DIR}/fuzz_png.c
                          ${PROJECT_SOURCE_DIR}/tools/png_image.c
                          ${PROJECT_SOURCE_DIR}/tools/file_read.c)
  target_include_directories(fuzz_png PRIVATE ${PROJECT_SOURCE_DIR}/tools)
  target_link_libraries(fuzz_png PRIVATE PNG::PNG)
  target_link_options(fuzz_png PRIVATE -fsanitize=fuzzer)
  # The ONNX Runtime EP's graph intake through a fake ONNX Runtime (needs only its headers).
  if(LENET_ONNX_ORT_FOUND)
    add_executable(fuzz_ort_ep ${CMAKE_CURRENT_LIST_DIR}/fuzz_ort_ep.c
                               ${CMAKE_CURRENT_LIST_DIR}/fake_ort_graph.c)
    target_include_directories(fuzz_ort_ep SYSTEM PRIVATE ${LENET_ONNX_ORT_INCLUDE_DIR})
    target_link_libraries(fuzz_ort_ep PRIVATE lenet_onnx_core)
    target_link_options(fuzz_ort_ep PRIVATE -fsanitize=fuzzer)
  endif()
elseif(LENET_ONNX_SANITIZER_TESTS AND NOT LENET_ONNX_SANITIZE AND NOT LENET_ONNX_SANITIZE_THREAD)
  find_program(LENET_ONNX_FUZZ_CC clang-14)
  if(LENET_ONNX_FUZZ_CC)
    set(fuzz_dir ${CMAKE_BINARY_DIR}/fuzz)
    set(fuzz_script ${CMAKE_CURRENT_SOURCE_DIR}/run_fuzz.cmake)
    # ONNX Runtime's headers, when found, add the EP intake target fuzz_ort_ep.
    set(fuzz_ort_dir "")
    set(fuzz_pairs "fuzz_model:60" "fuzz_loader:20" "fuzz_png:30")
    if(LENET_ONNX_ORT_FOUND)
      set(fuzz_ort_dir ${LENET_ONNX_ORT_DIR})
      list(APPEND fuzz_pairs "fuzz_ort_ep:20")
    endif()
    set(fuzz_args -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DBUILD_DIR=${fuzz_dir}
                  -DFUZZ_CC=${LENET_ONNX_FUZZ_CC} -DORT_DIR=${fuzz_ort_dir})
    add_test(NAME fuzz_build COMMAND ${CMAKE_COMMAND} ${fuzz_args} -DMODE=build -P ${fuzz_script})
    set_tests_properties(fuzz_build PROPERTIES FIXTURES_SETUP fuzz_tree TIMEOUT 1200)
    # Seconds of fuzzing per target: a little over 2 minutes in all.
    foreach(pair ${fuzz_pairs})
      string(REPLACE ":" ";" pair ${pair})
      list(GET pair 0 target)
      list(GET pair 1 seconds)
      add_test(NAME ${target}
        COMMAND ${CMAKE_COMMAND} ${fuzz_args} -DMODE=fuzz -DFUZZ_TARGET=${target}
                -DSECONDS=${seconds} -P ${fuzz_script})
      set_tests_properties(${target} PROPERTIES FIXTURES_REQUIRED fuzz_tree RUN_SERIAL TRUE
                                                TIMEOUT 600)
    endforeach()
    add_test(NAME fuzz_regressions
      COMMAND ${CMAKE_COMMAND} ${fuzz_args} -DMODE=replay -P ${fuzz_script})
    set_tests_properties(fuzz_regressions PROPERTIES FIXTURES_REQUIRED fuzz_tree TIMEOUT 300)
  endif()
endif()
