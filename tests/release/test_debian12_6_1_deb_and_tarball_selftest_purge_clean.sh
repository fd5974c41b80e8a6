#!/bin/bash
# Debian 12 (bookworm) on its own kernel (6.1), booted under qemu with systemd as
# PID 1 (tests/release/vm-check): the package installs, its service starts
# and passes hostmonctl selftest, an upgrade keeps the edited configuration
# and the spool, remove keeps them, the tarball's static binaries run and
# resolve a broker name, and purge leaves the root's files as they were.
# tests/release/guest-check lists each check; its output is this test's.
. "$(dirname "$0")/lib.sh"
require_root

"$ROOT/tests/release/vm-check" bookworm 6.1 "$RELEASE" || fail "Debian 12 on 6.1: a check failed (above)"
