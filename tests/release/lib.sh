# Shared code of the release tests (tests/release/test_*.sh): the integration
# tests' helpers (fail, expect_eq, cleanup at exit) and where the release is.
# HOSTMON_RELEASE: the directory make release and make deb wrote (default
# build-release).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

RELEASE=${HOSTMON_RELEASE:-$ROOT/build-release}
VERSION=$(sed -n 's/^#define HOSTMON_VERSION "\(.*\)"/\1/p' "$ROOT/agent/core/version.h")
TARBALL=$RELEASE/hostmon-$VERSION-linux-x86_64.tar.gz
DEB=$RELEASE/hostmon_${VERSION}_amd64.deb
# The binaries, as the Makefile lists them (tools/release/release.mk).
SBIN=$(make --no-print-directory -s -C "$ROOT" release-list | sed -n 's/^sbin //p')
BIN=$(make --no-print-directory -s -C "$ROOT" release-list | sed -n 's/^bin //p')
[[ -n $VERSION ]] || fail "no HOSTMON_VERSION in agent/core/version.h"
[[ -f $TARBALL && -f $DEB ]] || fail "no $TARBALL or $DEB: make deb first"

# expect_static FILE: FILE is an ELF executable with no interpreter and no
# shared library (readelf -l and -d).
expect_static() {
	local headers
	headers=$(readelf -lW "$1") || fail "$1 is not an ELF file"
	! grep -q 'Requesting program interpreter' <<<"$headers" ||
		fail "$1 asks for a program interpreter: $(grep interpreter <<<"$headers")"
	! readelf -dW "$1" | grep -q '(NEEDED)' ||
		fail "$1 needs shared libraries: $(readelf -dW "$1" | grep NEEDED | tr -s ' ' | head -n 5)"
}
