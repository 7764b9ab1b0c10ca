# MODE=build: configures and builds the clang fuzz tree. MODE=fuzz: runs FUZZ_TARGET for SECONDS
# from the seed corpus (a crash, leak, UB report or an input slower than 10 s fails the test;
# libFuzzer saves it in BUILD_DIR/artifacts/FUZZ_TARGET: copy it to
# tests/fuzz/regressions/FUZZ_TARGET/ once fixed). MODE=replay: runs every kept regression input.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${ARGN}")
  endif()
endfunction()

set(targets fuzz_model fuzz_loader fuzz_png)
set(build_targets ${targets} test_hostile)
if(ORT_DIR) # ONNX Runtime's headers: the EP intake target and the program writing its seeds
  list(APPEND targets fuzz_ort_ep)
  list(APPEND build_targets fuzz_ort_ep test_ort_ep_intake)
endif()
set(ENV{UBSAN_OPTIONS} "print_stacktrace=1:halt_on_error=1")
set(ENV{ASAN_OPTIONS} "detect_leaks=1")
if(MODE STREQUAL "build")
  set(flags "-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer")
  run(${CMAKE_COMMAND} -E env CC=${FUZZ_CC}
      ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BUILD_DIR} -DCMAKE_BUILD_TYPE=RelWithDebInfo
      -DLENET_ONNX_FUZZ=ON -DLENET_ONNX_SANITIZER_TESTS=OFF
      "-DCMAKE_C_FLAGS=${flags}" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined"
      "-DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=address,undefined" -DLENET_ONNX_ORT_DIR=${ORT_DIR})
  cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
  run(${CMAKE_COMMAND} --build ${BUILD_DIR} -j ${cores} --target ${build_targets})
  # test_hostile's generated models (deep nesting, huge pools, overflowing attributes,
  # limits) seed the model fuzzers where the known bugs were.
  file(REMOVE_RECURSE ${BUILD_DIR}/seeds/hostile)
  file(MAKE_DIRECTORY ${BUILD_DIR}/seeds/hostile)
  run(${BUILD_DIR}/tests/test_hostile --corpus ${BUILD_DIR}/seeds/hostile
      WORKING_DIRECTORY ${SOURCE_DIR})
  # fuzz_ort_ep's seeds: fake ONNX Runtime graphs (LeNet, a split run, every attribute kind).
  if(ORT_DIR)
    file(REMOVE_RECURSE ${BUILD_DIR}/seeds/ort_ep)
    file(MAKE_DIRECTORY ${BUILD_DIR}/seeds/ort_ep)
    run(${BUILD_DIR}/tests/test_ort_ep_intake --write-seeds ${BUILD_DIR}/seeds/ort_ep)
  endif()
elseif(MODE STREQUAL "fuzz")
  set(corpus ${BUILD_DIR}/corpus/${FUZZ_TARGET})
  set(artifacts ${BUILD_DIR}/artifacts/${FUZZ_TARGET}/)
  file(MAKE_DIRECTORY ${corpus} ${artifacts})
  if(FUZZ_TARGET STREQUAL "fuzz_png")
    set(seeds ${SOURCE_DIR}/samples ${SOURCE_DIR}/tests/fixtures)
    set(max_len 65536)
  elseif(FUZZ_TARGET STREQUAL "fuzz_ort_ep")
    set(seeds ${BUILD_DIR}/seeds/ort_ep)
    set(max_len 65536)
  else()
    set(seeds ${SOURCE_DIR}/models ${SOURCE_DIR}/tests/fixtures ${BUILD_DIR}/seeds/hostile)
    set(max_len 262144)
  endif()
  run(${BUILD_DIR}/tests/${FUZZ_TARGET} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048
      -max_len=${max_len} -print_final_stats=1 -artifact_prefix=${artifacts}
      ${corpus} ${seeds} ${SOURCE_DIR}/tests/fuzz/regressions/${FUZZ_TARGET})
elseif(MODE STREQUAL "replay")
  foreach(target ${targets})
    file(GLOB inputs ${SOURCE_DIR}/tests/fuzz/regressions/${target}/*)
    list(FILTER inputs EXCLUDE REGEX "README")
    if(inputs)
      run(${BUILD_DIR}/tests/${target} -timeout=10 -rss_limit_mb=2048 ${inputs})
      list(LENGTH inputs count)
      message(STATUS "${target}: ${count} regression inputs pass")
    endif()
  endforeach()
else()
  message(FATAL_ERROR "MODE must be build, fuzz or replay")
endif()
