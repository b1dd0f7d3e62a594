# Install-time part of cmake/Packaging.cmake: renders the systemd unit and the configuration
# for the prefix this install runs with (CMAKE_INSTALL_PREFIX here is `--prefix`, or /usr under
# CPack), honouring DESTDIR like every install rule. Set before it: FANGFAN_SOURCE_DIR,
# FANGFAN_BINARY_DIR.
set(fangfan_out "${FANGFAN_BINARY_DIR}/install-rendered")
file(MAKE_DIRECTORY "${fangfan_out}")

# The unit (systemd/fangfand.service names /usr/local, the default prefix).
file(READ "${FANGFAN_SOURCE_DIR}/systemd/fangfand.service" unit)
string(REPLACE "/usr/local/bin/" "${CMAKE_INSTALL_PREFIX}/bin/" unit "${unit}")
string(REPLACE "/usr/local/share/doc/" "${CMAKE_INSTALL_PREFIX}/share/doc/" unit "${unit}")
file(WRITE "${fangfan_out}/fangfand.service" "${unit}")
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" TYPE FILE
     FILES "${fangfan_out}/fangfand.service")

# The configuration: the example with every relative state path ("state/...", resolved against
# the config's folder, read-only under the unit) moved to the unit's StateDirectory.
file(READ "${FANGFAN_SOURCE_DIR}/config/example.toml" config)
string(REPLACE "sqlite3://state/" "sqlite3:///var/lib/fangfan/" config "${config}")
string(REPLACE "\"state/" "\"/var/lib/fangfan/" config "${config}")
file(WRITE "${fangfan_out}/fangfan.toml" "${config}")

# /etc/fangfan always (the unit and fangfand's default config path name it). Without DESTDIR
# this is the running machine: an existing configuration is the county's and stays.
set(etc "$ENV{DESTDIR}/etc/fangfan")
if(NOT "$ENV{DESTDIR}" STREQUAL "" OR NOT EXISTS "${etc}/fangfan.toml")
  file(INSTALL DESTINATION "/etc/fangfan" TYPE FILE FILES "${fangfan_out}/fangfan.toml")
else()
  message(STATUS "Kept: ${etc}/fangfan.toml (the example is in share/fangfan)")
endif()
if(NOT "$ENV{DESTDIR}" STREQUAL "" OR NOT EXISTS "${etc}/calendar")
  file(INSTALL DESTINATION "/etc/fangfan" TYPE DIRECTORY
       FILES "${FANGFAN_SOURCE_DIR}/config/calendar")
else()
  message(STATUS "Kept: ${etc}/calendar")
endif()
