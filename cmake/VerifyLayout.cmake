# Install layout (GNUInstallDirs; the docs go to share/doc/diffusion-verify, the package's name). The shared
# mixtures/schedules live in <datadir>/diffusion-verify; the program finds them relative to its own folder, so a
# moved prefix still works, and the build tree mirrors the layout (build/share/diffusion-verify -> cases/...) so
# that build/bin/verify behaves as an installed one.
set(CMAKE_INSTALL_DOCDIR "share/doc/diffusion-verify" CACHE PATH "Documentation (DATAROOTDIR/doc/diffusion-verify)")
include(GNUInstallDirs)
set(VERIFY_INSTALL_DATADIR "${CMAKE_INSTALL_DATADIR}/diffusion-verify")
file(RELATIVE_PATH VERIFY_DATA_DIR_FROM_BINDIR "${CMAKE_INSTALL_FULL_BINDIR}" "${CMAKE_INSTALL_FULL_DATADIR}/diffusion-verify")
cmake_path(ABSOLUTE_PATH VERIFY_DATA_DIR_FROM_BINDIR BASE_DIRECTORY "${PROJECT_BINARY_DIR}/bin" NORMALIZE
           OUTPUT_VARIABLE _verify_build_data_dir)
file(MAKE_DIRECTORY "${_verify_build_data_dir}")
foreach(_sub mixtures schedules)
  file(REMOVE "${_verify_build_data_dir}/${_sub}")
  file(CREATE_LINK "${PROJECT_SOURCE_DIR}/cases/${_sub}" "${_verify_build_data_dir}/${_sub}" SYMBOLIC)
endforeach()
