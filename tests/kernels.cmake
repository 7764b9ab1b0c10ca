# Kernel tests: each backend of the build, by name, against the reference backend (ref/, the
# plain-C oracle) through the same vtable. They link the seam, the registry (which links every
# backend) and the oracle's ops, never the graph, plan or runtime layers; the core's step
# validation (plugin/plan/step_validate.c, seam headers only) is compiled in to check each
# generated step as the scheduler would.
add_executable(test_kernels
  test_kernels.c
  kernel_harness.c
  kernel_oracle.c
  kernel_validate.c
  kernel_window.c
  kernel_matrix.c
  kernel_eltwise.c
  kernel_layout.c
  kernel_net.c
  ${PROJECT_SOURCE_DIR}/plugin/plan/step_validate.c)
target_include_directories(test_kernels PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
                                                ${PROJECT_SOURCE_DIR}/plugin/plan)
target_link_libraries(test_kernels PRIVATE lo_registry lo_seam lo_ref_ops Threads::Threads m)

# The oracle's own checks and the core's step validation, in every tree (also one with the
# reference backend alone); the reference backend's plumbing runs against itself there.
add_test(NAME kernels_oracle COMMAND test_kernels ref 20240611 0.25)
set_tests_properties(kernels_oracle PROPERTIES LABELS "unit" TIMEOUT 120)

# One test per backend but the reference itself. A built backend that finds no device fails.
# Under two seconds warm; with a cold PoCL cache on 2 cores, about 200 s (PoCL compiles each
# kernel variant the cases reach, each a program of its own, in a second or two); the limit
# leaves room for slow machines and sanitizer builds.
set(lo_kernel_backends ${LENET_ONNX_BACKEND_NAMES})
list(REMOVE_ITEM lo_kernel_backends ref)
foreach(backend IN LISTS lo_kernel_backends)
  add_test(NAME kernels_${backend} COMMAND test_kernels ${backend})
  set_tests_properties(kernels_${backend} PROPERTIES LABELS "device" TIMEOUT 600
                                                     ENVIRONMENT "${LENET_ONNX_TEST_ENV}")
endforeach()
# A backend's own variants of its kernel test live in its folder (cl/tests, vk/tests).

# The native CPU backend's thread team: one thread (every loop serial) and more threads than
# cores (chunked claims contended, workers descheduled mid-unit) give the same answers.
if("cpu" IN_LIST LENET_ONNX_BACKEND_NAMES)
  foreach(threads 1 5)
    add_test(NAME kernels_cpu_threads_${threads} COMMAND test_kernels cpu 20261126)
    set_tests_properties(kernels_cpu_threads_${threads} PROPERTIES LABELS "device" TIMEOUT 300
                         ENVIRONMENT "LENET_ONNX_CPU_THREADS=${threads}")
  endforeach()
endif()
