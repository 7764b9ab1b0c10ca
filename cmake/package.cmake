# How other projects find the installed library: a pkg-config file and a CMake package
# (find_package(lenet-onnx) giving the imported target lenet-onnx::lenet-onnx), plus the man
# pages of the tools. Included from the top-level CMakeLists.txt after the targets exist.
include(CMakePackageConfigHelpers)

# The pkg-config template lies with the ABI layer (plugin/abi/ once plugin/ is split by layer).
set(LO_PC_TEMPLATE ${PROJECT_SOURCE_DIR}/plugin/abi/lenet-onnx.pc.in)
if(NOT EXISTS ${LO_PC_TEMPLATE})
  set(LO_PC_TEMPLATE ${PROJECT_SOURCE_DIR}/plugin/lenet-onnx.pc.in)
endif()

# The .pc holds the real install prefix, known only at install time (`cmake --install --prefix`
# may differ from CMAKE_INSTALL_PREFIX at configure time): written then, with clean paths (no
# ${pcfiledir}/.. that pkg-config would print as is).
install(CODE "
  set(LO_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(CMAKE_INSTALL_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(CMAKE_INSTALL_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(PROJECT_DESCRIPTION \"${PROJECT_DESCRIPTION}\")
  set(PROJECT_VERSION \"${PROJECT_VERSION}\")
  configure_file(\"${LO_PC_TEMPLATE}\"
                 \"${PROJECT_BINARY_DIR}/install-pc/lenet-onnx.pc\" @ONLY)
")
install(FILES ${PROJECT_BINARY_DIR}/install-pc/lenet-onnx.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

set(LO_CMAKE_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lenet-onnx)
install(TARGETS lenet-onnx EXPORT lenet-onnx-targets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT lenet-onnx-targets NAMESPACE lenet-onnx:: FILE lenet-onnx-targets.cmake
        DESTINATION ${LO_CMAKE_PACKAGE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lenet-onnx-config.cmake.in
  ${PROJECT_BINARY_DIR}/lenet-onnx-config.cmake INSTALL_DESTINATION ${LO_CMAKE_PACKAGE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lenet-onnx-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lenet-onnx-config.cmake
              ${PROJECT_BINARY_DIR}/lenet-onnx-config-version.cmake
        DESTINATION ${LO_CMAKE_PACKAGE_DIR})

install(FILES docs/man/lenet-onnx-run.1 docs/man/lenet-onnx-bench.1 docs/man/lenet-onnx-check.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
