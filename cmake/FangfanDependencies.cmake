# Every outside library, found once. Debian 12 package names are given in each
# message so a missing one says what to install.
find_package(Threads REQUIRED)

find_package(Boost 1.81 REQUIRED COMPONENTS json url)

find_package(spdlog REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CURL REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)

# SOCI 4 ships no CMake configuration on Debian: find headers and libraries by hand.
find_path(SOCI_INCLUDE_DIR soci/soci.h)
find_library(SOCI_CORE_LIBRARY soci_core)
find_library(SOCI_SQLITE3_LIBRARY soci_sqlite3)
find_library(SOCI_POSTGRESQL_LIBRARY soci_postgresql)
# SOCI's PostgreSQL header includes <libpq-fe.h> (Debian: /usr/include/postgresql).
find_path(LIBPQ_INCLUDE_DIR libpq-fe.h PATH_SUFFIXES postgresql)
foreach(var SOCI_INCLUDE_DIR SOCI_CORE_LIBRARY SOCI_SQLITE3_LIBRARY SOCI_POSTGRESQL_LIBRARY
            LIBPQ_INCLUDE_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "SOCI not found (${var}). Install the Debian packages libsoci-dev "
                        "(it brings the sqlite3 and postgresql backends) and libpq-dev.")
  endif()
endforeach()
# SQLite itself (libsqlite3-dev, which SOCI's SQLite backend needs anyway): the storage adapter
# runs the WAL's checkpoints on a thread of its own through SQLite's C API (wal_checkpointer.h).
find_package(SQLite3)
if(NOT SQLite3_FOUND)
  message(FATAL_ERROR "SQLite not found: install the Debian package libsqlite3-dev")
endif()
add_library(SOCI::soci INTERFACE IMPORTED)
target_include_directories(SOCI::soci INTERFACE ${SOCI_INCLUDE_DIR} ${LIBPQ_INCLUDE_DIR})
target_link_libraries(SOCI::soci INTERFACE ${SOCI_CORE_LIBRARY} ${SOCI_SQLITE3_LIBRARY}
                                           ${SOCI_POSTGRESQL_LIBRARY} ${CMAKE_DL_LIBS})

find_package(GTest)

# -- import: XLSX files are zip archives of XML (Debian: libzip-dev, libexpat1-dev)
pkg_check_modules(LIBZIP IMPORTED_TARGET libzip)
if(NOT LIBZIP_FOUND)
  message(FATAL_ERROR "libzip not found: install the Debian package libzip-dev")
endif()
find_package(EXPAT)
if(NOT EXPAT_FOUND)
  message(FATAL_ERROR "expat not found: install the Debian package libexpat1-dev")
endif()

# -- lists: department lists as XLSX workbooks (Debian: libxlsxwriter-dev)
pkg_check_modules(XLSXWRITER IMPORTED_TARGET xlsxwriter)
if(NOT XLSXWRITER_FOUND)
  message(FATAL_ERROR "libxlsxwriter not found: install the Debian package libxlsxwriter-dev")
endif()

# -- the daemon's allocator (Debian: libjemalloc-dev), linked into fangfand only (and the API
# bench that measures it): the API's writes allocate much (JSON, SOCI rows, Beast), and with
# jemalloc a request took about 16% less CPU than with glibc's malloc (bench/README.md).
pkg_check_modules(JEMALLOC IMPORTED_TARGET jemalloc)
if(NOT JEMALLOC_FOUND)
  message(FATAL_ERROR "jemalloc not found: install the Debian package libjemalloc-dev")
endif()
