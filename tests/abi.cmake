# Hosts of the public ABI that dlopen the plugin like any other program would.
add_executable(test_abi_threads test_abi_threads.c)
target_include_directories(test_abi_threads PRIVATE ${PROJECT_SOURCE_DIR}/plugin/include
                                                    ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(test_abi_threads PRIVATE ${CMAKE_DL_LIBS} Threads::Threads)
add_dependencies(test_abi_threads lenet-onnx)
add_test(NAME abi_threads COMMAND test_abi_threads $<TARGET_FILE:lenet-onnx>
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(abi_threads PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 300)

# The host allocator and logger (ABI 2), the plugin loaded through the tools' loader.
add_executable(test_abi_hooks test_abi_hooks.c)
target_include_directories(test_abi_hooks PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(test_abi_hooks PRIVATE lo_plugin_loader)
add_dependencies(test_abi_hooks lenet-onnx)
add_test(NAME abi_hooks COMMAND test_abi_hooks $<TARGET_FILE:lenet-onnx>
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(abi_hooks PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 300)

# The README's example host, built against the build tree here (and against the installed
# tree through pkg-config by install_layout).
add_executable(host_example ${PROJECT_SOURCE_DIR}/tools/examples/host_example.c)
target_link_libraries(host_example PRIVATE lenet-onnx)
add_test(NAME abi_host_example COMMAND host_example models/lenet.onnx
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(abi_host_example PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}"
                     PASS_REGULAR_EXPRESSION "^input: class [0-9] of 10 \\(score "
                     FAIL_REGULAR_EXPRESSION "Sanitizer|runtime error")

# lenet-onnx-soak: the 100,000-run soak as a benchmark command (README), not a timed test; the
# smoke test only keeps it working.
add_executable(lenet-onnx-soak soak.c)
target_link_libraries(lenet-onnx-soak PRIVATE lenet-onnx)
add_test(NAME soak_smoke COMMAND lenet-onnx-soak models/lenet.onnx 200 5
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(soak_smoke PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}"
                     PASS_REGULAR_EXPRESSION "after 5 session cycles")

# A FIFO in a backend's program or pipeline cache must not block the library (it reads regular
# files only): every backend built but the reference and the native CPU one, which compile
# nothing at run time and cache nothing.
set(lo_caching_backends ${LENET_ONNX_BACKEND_NAMES})
list(REMOVE_ITEM lo_caching_backends ref cpu)
foreach(backend IN LISTS lo_caching_backends)
  add_test(NAME cache_fifo_${backend}
    COMMAND ${CMAKE_COMMAND} -DHOST=$<TARGET_FILE:lenet-onnx-run>
            "-DHOST_ARGS=${PROJECT_SOURCE_DIR}/models/lenet.onnx;${PROJECT_SOURCE_DIR}/samples/00000-ankle-boot.png"
            -DCACHE_DIR=${CMAKE_BINARY_DIR}/fifo-cache-${backend}
            -P ${CMAKE_CURRENT_SOURCE_DIR}/run_fifo_cache.cmake)
  set_tests_properties(cache_fifo_${backend} PROPERTIES TIMEOUT 300
                       ENVIRONMENT "LENET_ONNX_BACKEND=${backend}")
endforeach()

# ABI 4: session_memory (the arena at its lower bound for every exported fixture, the
# constants on the device) and session_step_cost.
add_executable(test_abi_memory test_abi_memory.c)
target_link_libraries(test_abi_memory PRIVATE lenet_onnx_core)
target_include_directories(test_abi_memory PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
add_test(NAME abi_memory COMMAND test_abi_memory WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(abi_memory PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 300)
