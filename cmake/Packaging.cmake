# The Debian package (CPack, `scripts/package`) and the files an installation adds around the
# binaries: the systemd unit naming the installed programs, and the county's configuration in
# /etc/fangfan (fangfan.toml: the example with its state under /var/lib/fangfan, where the unit
# may write; calendar/). Both are rendered at install time (cmake/InstallSystemFiles.cmake) for
# the prefix the install runs with, so one build tree installs to /usr/local by hand and
# packages for /usr; the configuration is never overwritten by a plain `cmake --install`.
#
# In the package, /etc/fangfan/fangfan.toml and the calendar files are conffiles: dpkg keeps a
# county's edits across upgrades. /var/lib/fangfan is the unit's StateDirectory, created and
# owned by the service's dynamic user when it first starts, so the package ships no state.
# postinst (packaging/debian/) reloads systemd; it never enables or starts the daemon.
# Dependencies are found by dpkg-shlibdeps from the binaries' shared libraries (Debian 12's).
install(CODE "set(FANGFAN_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
set(FANGFAN_BINARY_DIR \"${PROJECT_BINARY_DIR}\")")
install(SCRIPT "${CMAKE_CURRENT_LIST_DIR}/InstallSystemFiles.cmake")

# conffiles: every file the install puts under /etc/fangfan (the package's prefix is /usr).
file(GLOB fangfan_calendar_files CONFIGURE_DEPENDS RELATIVE "${PROJECT_SOURCE_DIR}/config"
     "${PROJECT_SOURCE_DIR}/config/calendar/*")
list(SORT fangfan_calendar_files)
set(fangfan_conffiles "/etc/fangfan/fangfan.toml\n")
foreach(f IN LISTS fangfan_calendar_files)
  string(APPEND fangfan_conffiles "/etc/fangfan/${f}\n")
endforeach()
file(WRITE "${PROJECT_BINARY_DIR}/packaging/conffiles" "${fangfan_conffiles}")
configure_file("${PROJECT_SOURCE_DIR}/packaging/debian/postinst"
               "${PROJECT_BINARY_DIR}/packaging/postinst" COPYONLY)

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "fangfan")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "fangfan maintainers <fangfan@localhost>")
# The package installs to /usr whatever prefix the build tree was configured with; DESTDIR
# staging lets the install script see that prefix and write /etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX "/usr")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE "amd64")
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES TRUE)  # the debug info stays in the build tree
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_BINARY_DIR}/packaging/postinst"
                                       "${PROJECT_BINARY_DIR}/packaging/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
