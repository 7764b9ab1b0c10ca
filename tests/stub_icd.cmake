# Error paths through a stub OpenCL driver that fails one chosen call (stub_icd/stub_icd.c).
add_library(lo_stub_icd MODULE stub_icd/stub_icd.c)
target_include_directories(lo_stub_icd PRIVATE ${OpenCL_INCLUDE_DIRS})
add_test(NAME device_failures
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_device_failures.py
                 $<TARGET_FILE:lenet-onnx-run> $<TARGET_FILE:lo_stub_icd>)
set_tests_properties(device_failures PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                                                ENVIRONMENT "${LENET_ONNX_TEST_ENV}" TIMEOUT 120)
