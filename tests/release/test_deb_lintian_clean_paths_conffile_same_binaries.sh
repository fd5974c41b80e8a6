#!/bin/bash
# make deb's package: lintian finds nothing (every override in
# debian/hostmon.lintian-overrides says why), the binaries sit in /usr/sbin
# and /usr/bin and are the tarball's static ones byte for byte, the unit runs
# /usr/sbin/hostmond, the configuration is a conffile, and the version is
# agent/core/version.h's, as debian/changelog says.
. "$(dirname "$0")/lib.sh"

command -v lintian >/dev/null || fail "lintian not found (tools/install-deps installs it)"
rc=0
lintian --pedantic --display-info --fail-on error,warning,info,pedantic "$DEB" >"$T/lintian" 2>&1 || rc=$?
grep -v 'running with root privileges' "$T/lintian" >"$T/tags" || true
((rc == 0)) && [[ ! -s $T/tags ]] || fail "lintian (exit $rc): $(head -n 20 "$T/tags")"

expect_eq "package version" "$VERSION" "$(dpkg-deb -f "$DEB" Version)"
expect_eq "debian/changelog's version" "$VERSION" "$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)"
expect_eq "architecture" amd64 "$(dpkg-deb -f "$DEB" Architecture)"
# Static binaries: no libc6 or any library among the dependencies.
expect_eq "dependencies" adduser "$(dpkg-deb -f "$DEB" Depends)"
dpkg-deb -e "$DEB" "$T/control"
expect_eq "conffiles" /etc/hostmon/hostmond.ini "$(cat "$T/control/conffiles")"
dpkg-deb -x "$DEB" "$T/pkg"
for f in usr/sbin/hostmond usr/bin/hostmonctl usr/bin/hostmon-consume lib/systemd/system/hostmond.service \
	lib/systemd/system/hostmond.service.d/hostmon-release.conf \
	etc/hostmon/hostmond.ini usr/share/hostmon/hostmon.proto usr/share/doc/hostmon/README.md; do
	[[ -f $T/pkg/$f ]] || fail "the package has no /$f"
done
tar -xzf "$TARBALL" -C "$T"
top=$T/hostmon-$VERSION-linux-x86_64
for b in $SBIN; do
	cmp -s "$T/pkg/usr/sbin/$b" "$top/sbin/$b" || fail "/usr/sbin/$b is not the tarball's sbin/$b"
done
for b in $BIN; do
	cmp -s "$T/pkg/usr/bin/$b" "$top/bin/$b" || fail "/usr/bin/$b is not the tarball's bin/$b"
done
expect_static "$T/pkg/usr/sbin/hostmond"
expect_eq "the unit's ExecStart" "ExecStart=/usr/sbin/hostmond --config /etc/hostmon/hostmond.ini" \
	"$(grep '^ExecStart=' "$T/pkg/lib/systemd/system/hostmond.service")"
! grep -v "^#" "$T/pkg/lib/systemd/system/hostmond.service" | grep -q /usr/local ||
	fail "the unit still names /usr/local"
echo "package: $(stat -c %s "$DEB") bytes, installed $(dpkg-deb -f "$DEB" Installed-Size) KiB"
