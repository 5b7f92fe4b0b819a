# Installing mprelay, and packaging it as a .deb. The top Makefile includes this file; it also
# works alone: `make -f packaging/install.mk install`.
#
#   make install                  the release binary, units, sysusers/tmpfiles entries and the
#                                 packaged config into $(DESTDIR)$(PREFIX) (PREFIX=/usr/local)
#   make install PREFIX=/usr      the layout of the .deb
#   make uninstall                removes what install put there, except the configuration
#   make deb                      .build/deb/mprelay_VERSION_ARCH.deb, built with dpkg-deb
#
# The top Makefile builds the release binaries first (make release); alone, build them with
# swift build -c release --static-swift-stdlib --product mprelayd (and --product mprelayctl).
# MPRELAYD_BIN=path installs another daemon, e.g. a debug build for Tests/systemd; mprelayctl is
# taken from the same folder when it is there.

MPRELAY_INSTALL_MK := $(lastword $(MAKEFILE_LIST))
MPRELAY_TOP := $(patsubst %/,%,$(dir $(abspath $(dir $(MPRELAY_INSTALL_MK)))))
MPRELAY_PACKAGING := $(MPRELAY_TOP)/packaging

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
# systemd reads units, sysusers.d and tmpfiles.d under /usr/local/lib as well as /usr/lib.
SYSTEMD_UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DOCDIR ?= $(PREFIX)/share/doc/mprelay
# ConfigurationDirectory= is always under /etc, whatever the prefix.
MPRELAY_CONFDIR ?= /etc/mprelay
MPRELAYD_BIN ?= $(MPRELAY_TOP)/.build/release/mprelayd
MPRELAYCTL_BIN ?= $(dir $(MPRELAYD_BIN))mprelayctl
INSTALL ?= install

MPRELAY_VERSION ?= $(shell sed -n 's/.*static let current = "\(.*\)".*/\1/p' $(MPRELAY_TOP)/Sources/MPRelayCommon/MPRelayVersion.swift)
DEB_ARCH ?= $(shell dpkg --print-architecture 2>/dev/null)
DEB_MAINTAINER ?= mprelay maintainers <mprelay@example.org>
DEB_DIR ?= $(MPRELAY_TOP)/.build/deb
# The .deb ships a stripped binary (Debian practice); `make install` leaves it as built.
DEB_STRIP ?= strip --strip-unneeded
DEB_ROOT := $(DEB_DIR)/root
DEB_FILE := $(DEB_DIR)/mprelay_$(MPRELAY_VERSION)_$(DEB_ARCH).deb

.PHONY: install uninstall deb mprelay-install-files

install: mprelay-install-files
	@echo "installed mprelayd into $(DESTDIR)$(BINDIR); next steps: docs/OPERATIONS.md"
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		echo "run: systemd-sysusers mprelay.conf && systemd-tmpfiles --create mprelay.conf && systemctl daemon-reload"; \
	fi

# Copies files only; never builds, never starts or enables anything.
mprelay-install-files:
	@test -x "$(MPRELAYD_BIN)" || { echo "install: $(MPRELAYD_BIN) is missing: build it with 'swift build -c release --static-swift-stdlib' (or set MPRELAYD_BIN)" >&2; exit 1; }
	$(INSTALL) -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSTEMD_UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0755 $(MPRELAYD_BIN) $(DESTDIR)$(BINDIR)/mprelayd
	@if [ -x "$(MPRELAYCTL_BIN)" ]; then \
		echo "$(INSTALL) -m 0755 $(MPRELAYCTL_BIN) $(DESTDIR)$(BINDIR)/mprelayctl"; \
		$(INSTALL) -m 0755 $(MPRELAYCTL_BIN) $(DESTDIR)$(BINDIR)/mprelayctl; \
	else \
		echo "note: no mprelayctl next to $(MPRELAYD_BIN); installing the daemon alone"; \
	fi
	sed 's|/usr/bin/mprelayd|$(BINDIR)/mprelayd|g' $(MPRELAY_PACKAGING)/mprelay.service > $(DESTDIR)$(SYSTEMD_UNITDIR)/mprelay.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNITDIR)/mprelay.service
	$(INSTALL) -m 0644 $(MPRELAY_PACKAGING)/mprelay.socket $(DESTDIR)$(SYSTEMD_UNITDIR)/mprelay.socket
	$(INSTALL) -m 0644 $(MPRELAY_PACKAGING)/mprelay.sysusers $(DESTDIR)$(SYSUSERSDIR)/mprelay.conf
	$(INSTALL) -m 0644 $(MPRELAY_PACKAGING)/mprelay.tmpfiles $(DESTDIR)$(TMPFILESDIR)/mprelay.conf
	$(INSTALL) -m 0644 $(MPRELAY_PACKAGING)/mprelay.toml $(DESTDIR)$(DOCDIR)/mprelay.toml.example
	$(INSTALL) -m 0644 $(MPRELAY_TOP)/docs/OPERATIONS.md $(DESTDIR)$(DOCDIR)/OPERATIONS.md
	$(INSTALL) -d -m 0755 $(DESTDIR)$(MPRELAY_CONFDIR)
	@if [ -e $(DESTDIR)$(MPRELAY_CONFDIR)/mprelay.toml ]; then \
		echo "kept $(DESTDIR)$(MPRELAY_CONFDIR)/mprelay.toml; the packaged one is $(DESTDIR)$(DOCDIR)/mprelay.toml.example"; \
	else \
		echo "$(INSTALL) -m 0644 $(MPRELAY_PACKAGING)/mprelay.toml $(DESTDIR)$(MPRELAY_CONFDIR)/mprelay.toml"; \
		$(INSTALL) -m 0644 $(MPRELAY_PACKAGING)/mprelay.toml $(DESTDIR)$(MPRELAY_CONFDIR)/mprelay.toml; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mprelayd $(DESTDIR)$(BINDIR)/mprelayctl \
		$(DESTDIR)$(SYSTEMD_UNITDIR)/mprelay.service $(DESTDIR)$(SYSTEMD_UNITDIR)/mprelay.socket \
		$(DESTDIR)$(SYSUSERSDIR)/mprelay.conf $(DESTDIR)$(TMPFILESDIR)/mprelay.conf \
		$(DESTDIR)$(DOCDIR)/mprelay.toml.example $(DESTDIR)$(DOCDIR)/OPERATIONS.md
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null
	@echo "kept $(DESTDIR)$(MPRELAY_CONFDIR) (configuration and authkey); remove it by hand if wanted"

# The .deb: PREFIX=/usr, /etc/mprelay/mprelay.toml as a conffile, maintainer scripts that create
# the user and /run/mprelay and reload systemd, and enable or start nothing.
deb:
	@test -n "$(MPRELAY_VERSION)" || { echo "deb: cannot read the version from Sources/MPRelayCommon/MPRelayVersion.swift" >&2; exit 1; }
	@test -n "$(DEB_ARCH)" || { echo "deb: dpkg --print-architecture failed: build the .deb on Debian or Ubuntu" >&2; exit 1; }
	@if ldd "$(MPRELAYD_BIN)" 2>/dev/null | grep -q 'libswift\|libdispatch\|libFoundation'; then \
		echo "deb: $(MPRELAYD_BIN) needs the Swift runtime libraries, which a target machine does not have:" >&2; \
		echo "     rebuild it with 'swift build -c release --static-swift-stdlib'" >&2; exit 1; \
	fi
	rm -rf $(DEB_ROOT)
	$(MAKE) --no-print-directory -f $(MPRELAY_INSTALL_MK) mprelay-install-files PREFIX=/usr DESTDIR=$(DEB_ROOT) MPRELAYD_BIN=$(MPRELAYD_BIN)
	$(DEB_STRIP) $(DEB_ROOT)/usr/bin/mprelayd
	if [ -f $(DEB_ROOT)/usr/bin/mprelayctl ]; then $(DEB_STRIP) $(DEB_ROOT)/usr/bin/mprelayctl; fi
	$(INSTALL) -d -m 0755 $(DEB_ROOT)/DEBIAN
	printf '%s\n' $(MPRELAY_CONFDIR)/mprelay.toml > $(DEB_ROOT)/DEBIAN/conffiles
	$(INSTALL) -m 0755 $(MPRELAY_PACKAGING)/deb/postinst $(MPRELAY_PACKAGING)/deb/prerm $(MPRELAY_PACKAGING)/deb/postrm $(DEB_ROOT)/DEBIAN/
	{ \
		echo "Package: mprelay"; \
		echo "Version: $(MPRELAY_VERSION)"; \
		echo "Architecture: $(DEB_ARCH)"; \
		echo "Maintainer: $(DEB_MAINTAINER)"; \
		echo "Installed-Size: $$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)"; \
		echo "Depends: systemd, $$($(MPRELAY_PACKAGING)/deb/shared-library-packages $(DEB_ROOT)/usr/bin/mprelayd)"; \
		echo "Section: net"; \
		echo "Priority: optional"; \
		echo "Description: message relay for Python multiprocessing peers"; \
		echo " mprelayd relays messages between named peers that connect with Python's"; \
		echo " multiprocessing.connection.Client. The package installs the mprelay.service"; \
		echo " and mprelay.socket units but enables neither: see"; \
		echo " /usr/share/doc/mprelay/OPERATIONS.md."; \
	} > $(DEB_ROOT)/DEBIAN/control
	dpkg-deb --root-owner-group --build $(DEB_ROOT) $(DEB_FILE)
	@echo "built $(DEB_FILE)"
