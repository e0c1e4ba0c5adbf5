# Install rules and the Debian package (`cpack -G DEB`). Included once from the top-level
# CMakeLists.txt after the targets exist.
#
# faultline is a system daemon: its unit runs /usr/bin/faultline and its default config is
# /etc/faultline/faultline.yaml, so the package installs with prefix /usr. The unit and the
# config go to absolute folders (the daemon and systemd look there whatever the prefix); both
# are cache variables for installs into a private tree. DESTDIR applies to them as to the rest.
include(GNUInstallDirs)

set(FAULTLINE_CONFIG_DIR "/etc/faultline" CACHE PATH
    "Folder the default config is installed to (the daemon reads faultline.yaml from it)")

# Debian 12 keeps packaged units in /lib/systemd/system; systemd.pc says where, when present.
pkg_get_variable(FAULTLINE_PC_UNIT_DIR systemd systemdsystemunitdir)
if(NOT FAULTLINE_PC_UNIT_DIR)
  set(FAULTLINE_PC_UNIT_DIR "/lib/systemd/system")
endif()
set(FAULTLINE_SYSTEMD_UNIT_DIR "${FAULTLINE_PC_UNIT_DIR}" CACHE PATH
    "Folder the systemd unit is installed to")

install(TARGETS faultline RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/systemd/faultline.service
        DESTINATION ${FAULTLINE_SYSTEMD_UNIT_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/etc/faultline.default.yaml
        DESTINATION ${FAULTLINE_CONFIG_DIR} RENAME faultline.yaml)
install(FILES ${PROJECT_SOURCE_DIR}/docs/faultline.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
# Prometheus alert rules ship beside the docs; the glob takes whichever rule files exist.
file(GLOB FAULTLINE_PROMETHEUS_RULES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/etc/prometheus/*.yml)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/ARCHITECTURE.md
              ${PROJECT_SOURCE_DIR}/CONTRIBUTING.md ${FAULTLINE_PROMETHEUS_RULES}
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Under docs/, where the README's links point.
install(FILES ${PROJECT_SOURCE_DIR}/docs/storage.md ${PROJECT_SOURCE_DIR}/docs/BENCHMARKS.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
# The Grafana dashboard, to import (Dashboards > New > Import).
install(FILES ${PROJECT_SOURCE_DIR}/etc/grafana/faultline.json DESTINATION ${CMAKE_INSTALL_DOCDIR}
        RENAME faultline-grafana.json)

# The unit names /usr/bin/faultline; say so when the binary lands elsewhere, instead of leaving
# a service that fails with "Failed to locate executable".
install(CODE [[
  if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    message(STATUS "Note: faultline.service runs /usr/bin/faultline, but the prefix is "
                   "${CMAKE_INSTALL_PREFIX}: override ExecStart= in a drop-in "
                   "(systemctl edit faultline), or install with --prefix /usr")
  endif()
]])

# --- cpack -G DEB ---------------------------------------------------------------------------
set(FAULTLINE_DEB_MAINTAINER "faultline maintainers <maintainers@faultline.invalid>" CACHE STRING
    "Maintainer field of the Debian package")

set(CPACK_PACKAGE_NAME faultline)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "faultline")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "uptime monitor that says which layer failed")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "faultline probes HTTP(S), TCP and TLS targets declared in YAML and tells not\n"
    "just that a service is down but which layer failed (DNS, connection refused,\n"
    "reset, timeout, unreachable, TLS or HTTP) and what to check. It keeps the\n"
    "history in SQLite and exports Prometheus metrics with the failure class as a\n"
    "label. It runs as the systemd service faultline.service.")
set(CPACK_PACKAGE_CONTACT "${FAULTLINE_DEB_MAINTAINER}")
set(CPACK_GENERATOR DEB)
# Absolute destinations (/etc, /lib/systemd) must land in cpack's staging tree, not on the
# build machine: cpack installs with DESTDIR set, and then takes its prefix from
# CPACK_INSTALL_PREFIX whatever CMAKE_INSTALL_PREFIX the build was configured with.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${FAULTLINE_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The CA bundle is read at run time, not linked, so shlibdeps cannot see it.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sqlite3, prometheus")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# conffiles makes dpkg keep local edits of the config on upgrade; the scripts reload systemd
# and stop or clean up the service on removal (DynamicUser=yes: no user to create).
file(WRITE ${PROJECT_BINARY_DIR}/debian/conffiles "${FAULTLINE_CONFIG_DIR}/faultline.yaml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_BINARY_DIR}/debian/conffiles ${CMAKE_CURRENT_LIST_DIR}/debian/postinst
    ${CMAKE_CURRENT_LIST_DIR}/debian/prerm ${CMAKE_CURRENT_LIST_DIR}/debian/postrm)
include(CPack)
