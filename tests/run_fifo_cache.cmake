# A backend's cache (OpenCL program binaries, the Vulkan pipeline cache) is read as regular files
# only: with every cached file replaced by a FIFO, a host must still run (rebuilding what it
# needs), not block in open() or read(). HOST runs with HOST_ARGS.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result TIMEOUT 120)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${ARGN}")
  endif()
endfunction()

file(REMOVE_RECURSE ${CACHE_DIR})
set(ENV{LENET_ONNX_CACHE_DIR} ${CACHE_DIR})
run(${HOST} ${HOST_ARGS})
file(GLOB_RECURSE cached ${CACHE_DIR}/*)
list(LENGTH cached count)
if(count EQUAL 0)
  message(FATAL_ERROR "nothing was cached in ${CACHE_DIR}")
endif()
foreach(path ${cached})
  file(REMOVE ${path})
  run(mkfifo ${path})
endforeach()
run(${HOST} ${HOST_ARGS})
message(STATUS "${count} cached binaries replaced by FIFOs: the host still ran")
