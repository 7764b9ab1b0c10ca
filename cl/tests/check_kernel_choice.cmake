# Which kernels the OpenCL backend launches for the bundled model, from the trace: run as
#   cmake -DRUN=lenet-onnx-run -DMODEL=lenet.onnx -DIMAGE=x.png -DEXPECT="a;b" -DFORBID=regex
#         -P check_kernel_choice.cmake
# with the environment of the choice under test. Every name of EXPECT must be launched, and no
# launch may match FORBID.
foreach(var RUN MODEL IMAGE EXPECT FORBID)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_kernel_choice.cmake needs -D${var}=...")
  endif()
endforeach()
set(ENV{LENET_ONNX_TRACE} 1)
execute_process(COMMAND ${RUN} --backend opencl ${MODEL} ${IMAGE}
                RESULT_VARIABLE result OUTPUT_QUIET ERROR_VARIABLE trace)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${RUN} failed (${result}):\n${trace}")
endif()
# "opencl: node '/conv1/Conv' (Conv+Relu+MaxPool): conv2d_blocked_pool[fixed window], global ..."
string(REGEX MATCHALL "opencl: node '[^']*' \\([^)]*\\): [^,]*" launches "${trace}")
if(NOT launches)
  message(FATAL_ERROR "the trace names no launch:\n${trace}")
endif()
foreach(name IN LISTS EXPECT)
  string(FIND "${launches}" "): ${name}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "no launch of ${name}; the launches:\n${launches}")
  endif()
endforeach()
foreach(launch IN LISTS launches)
  if(launch MATCHES "${FORBID}")
    message(FATAL_ERROR "launched ${launch} (matches '${FORBID}')")
  endif()
endforeach()
