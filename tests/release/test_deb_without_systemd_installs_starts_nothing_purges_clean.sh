#!/bin/bash
# Where systemd does not run (a chroot, a container without it), the package
# installs on Debian 11 and 12 without starting anything or failing: the
# group, the state directory and the unit's enablement are there for a later
# boot; remove keeps the configuration, purge leaves the root's files as they
# were before. Each root (tools/kernels/rootfs) is mounted under an overlay
# on this host, so the cached root is never written.
. "$(dirname "$0")/lib.sh"
require_root

# snapshot DIR: its files, modes and owners, but dpkg's database, the logs
# and /run (a tmpfs on a running system; adduser leaves its lock there).
snapshot() {
	(cd "$1" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/log -o -path ./run \) -prune -o \
		-printf '%p %M %u %g\n' | sort)
}
# in_root CMD...: CMD in the overlaid root, with a clean environment.
in_root() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 chroot "$mnt" "$@"
}

for suite in bullseye bookworm; do
	read -r _ lower < <("$ROOT/tools/kernels/rootfs" "$suite") || fail "no $suite root (tools/kernels/rootfs)"
	base=$T/$suite
	mnt=$base/root
	mkdir -p "$base/upper" "$base/work" "$mnt"
	mount -t overlay overlay -o "lowerdir=$lower,upperdir=$base/upper,workdir=$base/work" "$mnt" ||
		fail "cannot mount an overlay on $lower"
	on_exit "umount -l '$mnt'"
	[[ ! -e $mnt/run/systemd/system ]] || fail "$suite's root has /run/systemd/system: it would look booted"
	snapshot "$mnt" >"$base/before"
	cp "$mnt/etc/group" "$base/group.before"
	cp "$DEB" "$mnt/tmp/hostmon.deb"

	in_root dpkg -i /tmp/hostmon.deb >"$base/install.log" 2>&1 ||
		fail "$suite: dpkg -i failed without systemd: $(tail -n 10 "$base/install.log")"
	in_root getent group hostmon >/dev/null || fail "$suite: no hostmon group after install"
	expect_eq "$suite: /var/lib/hostmon/spool's mode" 700 "$(stat -c %a "$mnt/var/lib/hostmon/spool")"
	[[ -L $mnt/etc/systemd/system/multi-user.target.wants/hostmond.service ]] ||
		fail "$suite: the unit is not enabled for the next boot"
	for p in /proc/[0-9]*; do
		[[ $(readlink "$p/root" 2>/dev/null) == "$mnt" ]] &&
			fail "$suite: a process runs in the root after install: $(tr '\0' ' ' <"$p/cmdline")"
	done
	in_root dpkg -r hostmon >"$base/remove.log" 2>&1 || fail "$suite: dpkg -r failed: $(tail -n 10 "$base/remove.log")"
	[[ -f $mnt/etc/hostmon/hostmond.ini && -d $mnt/var/lib/hostmon/spool ]] ||
		fail "$suite: remove took the configuration or the spool"
	in_root dpkg -P hostmon >"$base/purge.log" 2>&1 || fail "$suite: dpkg -P failed: $(tail -n 10 "$base/purge.log")"
	rm "$mnt/tmp/hostmon.deb"
	cmp -s "$mnt/etc/group" "$base/group.before" || fail "$suite: purge left /etc/group changed"
	snapshot "$mnt" >"$base/after"
	diff "$base/before" "$base/after" >"$base/diff" ||
		fail "$suite: after purge the root's files differ from before install: $(head -n 20 "$base/diff")"
	echo "$suite: installed, removed and purged without systemd; the root is as it was"
done
