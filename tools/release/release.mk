# make release: the static binaries in a tarball; make deb: the Debian package
# of the same binaries (debian/). Both build in build-release (RELEASE=1,
# tools/release/static.mk). A new binary joins both by being named in
# RELEASE_SBIN (a daemon, /usr/sbin) or RELEASE_BIN (a tool, /usr/bin).
RELEASE_SBIN := hostmond
RELEASE_BIN  := hostmonctl hostmon-consume hostmon-alert
VERSION      := $(shell sed -n 's/^\#define HOSTMON_VERSION "\(.*\)"/\1/p' agent/core/version.h)
RELEASE_DIR  := build-release
DIST_NAME    := hostmon-$(VERSION)-linux-x86_64
TARBALL      := $(RELEASE_DIR)/$(DIST_NAME).tar.gz
DEB          := $(RELEASE_DIR)/hostmon_$(VERSION)_amd64.deb
# What both ship: stripped copies (build-release keeps the binaries with
# their debug information, for a core file of a release binary).
RELEASE_BINS  = $(addprefix $(BUILD)/stripped/,$(RELEASE_SBIN) $(RELEASE_BIN))
# The unit's drop-in for hosts with the hostmon group (the file says why).
RELEASE_DROPIN := tools/release/hostmond.service.d/hostmon-release.conf

.PHONY: release release-bins release-install release-list deb

# What the release holds, for the tests (tests/release/lib.sh).
release-list:
	@echo "sbin $(RELEASE_SBIN)"
	@echo "bin $(RELEASE_BIN)"

release:
	$(Q)$(MAKE) --no-print-directory RELEASE=1 $(TARBALL)

deb:
	$(Q)$(MAKE) --no-print-directory release
	$(call msg,DEB,$(DEB))
	$(Q)DEB_OUT=$(CURDIR)/$(RELEASE_DIR) fakeroot debian/rules binary >$(RELEASE_DIR)/deb.log 2>&1 || \
		{ tail -n 30 $(RELEASE_DIR)/deb.log; exit 1; }

ifeq ($(RELEASE),1)
release-bins: $(RELEASE_BINS)

$(BUILD)/stripped/%: $(BUILD)/%
	$(Q)mkdir -p $(@D)
	$(Q)strip --strip-all --remove-section=.comment -o $@ $<

$(TARBALL): $(RELEASE_BINS) packaging/hostmond.service packaging/hostmond.ini proto/hostmon.proto \
		README.md tools/release/tarball $(RELEASE_DROPIN)
	$(call msg,TAR,$@)
	$(Q)tools/release/tarball $@ "$(addprefix $(BUILD)/stripped/,$(RELEASE_SBIN))" \
		"$(addprefix $(BUILD)/stripped/,$(RELEASE_BIN))"

# The binaries, the unit (its paths rewritten for PREFIX) under
# /lib/systemd/system, where both Debian 11 and 12 look, the configuration
# and the .proto. DESTDIR for packaging (debian/rules).
release-install: release-bins
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/lib/systemd/system \
		$(DESTDIR)/etc/hostmon $(DESTDIR)$(PREFIX)/share/hostmon
	install -m 0755 $(addprefix $(BUILD)/stripped/,$(RELEASE_SBIN)) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0755 $(addprefix $(BUILD)/stripped/,$(RELEASE_BIN)) $(DESTDIR)$(PREFIX)/bin/
	sed 's|/usr/local/|$(PREFIX)/|g' packaging/hostmond.service >$(DESTDIR)/lib/systemd/system/hostmond.service
	install -D -m 0644 $(RELEASE_DROPIN) \
		$(DESTDIR)/lib/systemd/system/hostmond.service.d/$(notdir $(RELEASE_DROPIN))
	install -m 0644 packaging/hostmond.ini $(DESTDIR)/etc/hostmon/hostmond.ini
	install -m 0644 proto/hostmon.proto $(DESTDIR)$(PREFIX)/share/hostmon/hostmon.proto
endif
