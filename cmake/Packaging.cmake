# The Debian package (CPack, `scripts/package`): fangfand and fangfanctl, the systemd unit with the
# binaries' installed paths, the example configuration and calendar under share/fangfan. The
# package's scripts (packaging/debian/) put a first configuration in /etc/fangfan when there is
# none (state under /var/lib/fangfan, where the unit may write) and leave an existing one alone;
# the service is enabled by the operator after editing it, never started by the install.
#
# Dependencies are found by dpkg-shlibdeps from the binaries' shared libraries (Debian 12's).

# The unit with this prefix's binaries (the file in systemd/ names /usr/local, the default).
file(READ "${PROJECT_SOURCE_DIR}/systemd/fangfand.service" fangfan_unit)
string(REPLACE "/usr/local/bin/" "${CMAKE_INSTALL_FULL_BINDIR}/" fangfan_unit "${fangfan_unit}")
string(REPLACE "/usr/local/share/doc/" "${CMAKE_INSTALL_FULL_DATADIR}/doc/" fangfan_unit
               "${fangfan_unit}")
file(WRITE "${PROJECT_BINARY_DIR}/fangfand.service" "${fangfan_unit}")

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "fangfan")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "fangfan maintainers <fangfan@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES TRUE)  # the debug info stays in the build tree
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_SOURCE_DIR}/packaging/debian/postinst")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
