# `cmake --install` lays out the tree ARCHITECTURE.md promises, and the plugin exports only
# its entry points.
add_test(NAME install_layout
  COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${CMAKE_BINARY_DIR}
          -DPREFIX=${CMAKE_BINARY_DIR}/install-test -DLIBDIR=${CMAKE_INSTALL_LIBDIR}
          -P ${CMAKE_CURRENT_SOURCE_DIR}/check_install.cmake)
set_tests_properties(install_layout PROPERTIES ENVIRONMENT "${LENET_ONNX_TEST_ENV}")
