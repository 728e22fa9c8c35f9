# Install rules, the CMake package DiffusionVerify and the Debian package (cpack -G DEB).
#
# Layout (GNUInstallDirs, relative to the prefix):
#   bin/verify                                   the program
#   lib*/libdiffusion-verify.a, include/verify/  the library and its public headers (version.hpp generated)
#   lib*/cmake/DiffusionVerify/                  package files: find_package(DiffusionVerify [COMPONENTS lib])
#   share/diffusion-verify/{mixtures,schedules}  shared data that case files may name
#   share/doc/diffusion-verify/                  README.md, cases/README.md, examples/
# Two export sets, so that a project which only runs case files (DiffusionVerify::verify + verify_add_cases) needs
# none of the development packages; DiffusionVerify::lib (COMPONENTS lib) needs the headers of its dependencies.
include(CMakePackageConfigHelpers)
set(VERIFY_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/DiffusionVerify")

install(TARGETS verify EXPORT DiffusionVerifyProgramTargets RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(TARGETS verify_lib EXPORT DiffusionVerifyLibTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/verify/include/verify" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        FILES_MATCHING PATTERN "*.hpp")
install(FILES "${PROJECT_BINARY_DIR}/verify/include/verify/version.hpp"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/verify")
install(EXPORT DiffusionVerifyProgramTargets NAMESPACE DiffusionVerify:: DESTINATION "${VERIFY_INSTALL_CMAKEDIR}")
install(EXPORT DiffusionVerifyLibTargets NAMESPACE DiffusionVerify:: DESTINATION "${VERIFY_INSTALL_CMAKEDIR}")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/DiffusionVerifyConfig.cmake.in"
                              "${PROJECT_BINARY_DIR}/DiffusionVerifyConfig.cmake"
                              INSTALL_DESTINATION "${VERIFY_INSTALL_CMAKEDIR}"
                              PATH_VARS VERIFY_INSTALL_DATADIR)
# Same major version = compatible (0.x: any 0.y >= the requested one).
write_basic_package_version_file("${PROJECT_BINARY_DIR}/DiffusionVerifyConfigVersion.cmake"
                                 VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/DiffusionVerifyConfig.cmake"
              "${PROJECT_BINARY_DIR}/DiffusionVerifyConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/DiffusionVerifyCases.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/FindRandom123.cmake"
        DESTINATION "${VERIFY_INSTALL_CMAKEDIR}")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/cases/mixtures" "${PROJECT_SOURCE_DIR}/cases/schedules"
        DESTINATION "${VERIFY_INSTALL_DATADIR}")
install(FILES "${PROJECT_SOURCE_DIR}/README.md" DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(FILES "${PROJECT_SOURCE_DIR}/cases/README.md" DESTINATION "${CMAKE_INSTALL_DOCDIR}/cases")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/examples" DESTINATION "${CMAKE_INSTALL_DOCDIR}")
if(IS_DIRECTORY "${PROJECT_SOURCE_DIR}/docs")
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/docs" DESTINATION "${CMAKE_INSTALL_DOCDIR}")
endif()

# Debian package: diffusion-verify_<version>_<arch>.deb. The shared libraries' packages (libc6, libstdc++6, libgomp1,
# libfmt9, libtomlplusplus3, ...) come from dpkg-shlibdeps (Debian packages dpkg-dev and file); gnuplot draws the
# plots; KaTeX (fonts and script) is for the HTML report's formulas. The library's development packages are only
# suggested: they are needed to compile against DiffusionVerify::lib, not to run verify.
if(NOT VERIFY_TOP_LEVEL)
  return()  # inside another project (add_subdirectory): its own CPack settings win
endif()
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME diffusion-verify)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "diffusion-verify")
set(CPACK_PACKAGE_CONTACT "diffusion-verify maintainers <diffusion-verify@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Monte Carlo checks of the mathematics of diffusion models")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "verify takes claims from derivations about diffusion models (Gaussian KLs, the forward marginal, the posterior, "
    "the ELBO, Tweedie's formula, score matching, samplers), estimates them by Monte Carlo on a Gaussian mixture whose "
    "density, score and posterior are known exactly, and says at a stated false-alarm rate whether each holds as "
    "written. Reports in JSON, Markdown, HTML, JUnit and SVG; a CMake function registers case files with CTest.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "gnuplot-nox | gnuplot, fonts-katex, libjs-katex")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
    "cmake, make, libeigen3-dev, libboost-dev, libfmt-dev, librandom123-dev, libtomlplusplus-dev, nlohmann-json3-dev, g++")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_FILE_NAME "${CPACK_PACKAGE_NAME}-${PROJECT_VERSION}")  # non-DEB generators only
include(CPack)
