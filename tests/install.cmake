# `cmake --install` lays out the tree docs/cli.md and docs/abi.md promise (programs, man pages,
# library, header, pkg-config file and CMake package), and the plugin exports only
# its entry points (lenet_onnx_get_api, and ONNX Runtime's CreateEpFactories and
# ReleaseEpFactory); a host builds against it with pkg-config (the README's example) and runs.
add_test(NAME install_layout
  COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${CMAKE_BINARY_DIR} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
          -DPREFIX=${CMAKE_BINARY_DIR}/install-test -DLIBDIR=${CMAKE_INSTALL_LIBDIR}
          -DPKG_CONFIG=${PKG_CONFIG_EXECUTABLE} -DCC=${CMAKE_C_COMPILER}
          -DEXAMPLE=${PROJECT_SOURCE_DIR}/tools/examples/host_example.c
          "-DCFLAGS=$<$<BOOL:${LENET_ONNX_SANITIZE}>:-fsanitize=address,undefined>"
          -P ${CMAKE_CURRENT_SOURCE_DIR}/check_install.cmake)
set_tests_properties(install_layout PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}")
