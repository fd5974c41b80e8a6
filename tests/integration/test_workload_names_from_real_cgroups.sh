#!/bin/bash
# Real cgroups laid out as each runtime lays them out (Docker, containerd
# under a kubelet with the systemd and the cgroupfs driver, CRI-O, Podman
# root and rootless, a service, a session), under a parent of the test's own
# on the cgroup2 mount, each with a real process in it: the agent's cache
# (agent/probes/workload_cache.c, through build/helpers/workload_resolve) names each
# process's cgroup id, by file handle and by walk, with the runtime, id, pod
# UID and QoS class the test wrote. On a hybrid host a process whose cgroupfs
# "runtime" wrote only a v1 memory cgroup is named from it. Given a process of
# the cgroup, the cache names it from that process's /proc/PID/cgroup, without
# a walk; given one of another cgroup, it walks. A removed cgroup's id is no
# longer named.
. "$(dirname "$0")/lib.sh"
RESOLVE=$HELPERS/workload_resolve
require_file "$RESOLVE"

CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[[ -n "$CG2" ]] || fail "no cgroup2 mount in /proc/self/mountinfo"
PARENT=hostmon-test-$$
V1MEM=/sys/fs/cgroup/memory

hex64() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
# run_in REL [V1_REL]: a sleeping process in cgroup2's REL (and v1 memory's
# V1_REL); PID its pid, CGID the cgroup id its /proc/PID/cgroup names.
run_in() {
	local path
	cgroup2_make "$CG2/$1"
	[[ -z "${2:-}" ]] || cgroup2_make "$V1MEM/$2"
	(
		echo "$BASHPID" >"$CG2/$1/cgroup.procs"
		[[ -z "${2:-}" ]] || echo "$BASHPID" >"$V1MEM/$2/cgroup.procs"
		exec sleep 300
	) &
	PID=$!
	track "$PID"
	for ((i = 0; i < 50; i++)); do
		path=$(sed -n 's/^0:://p' "/proc/$PID/cgroup")
		[[ "$path" == "/$1" ]] && break
		nap 0.05
	done
	expect_eq "cgroup2 path of pid $PID (/proc/$PID/cgroup)" "/$1" "$path"
	CGID=$(stat -c %i "$CG2$path")
}

# expect_named LABEL CGID RUNTIME ID POD_UID QOS UNIT NAME: as both the handle and the walk name it.
expect_named() {
	local label=$1 cgid=$2 mode line want
	want="$cgid|$3|$4|${4:0:12}|$5|$6|$7|$8|0"
	for mode in handle walk; do
		line=$("$RESOLVE" $([[ $mode == walk ]] && echo --walk) "$cgid" | head -n 1)
		expect_eq "$label, cgroup id $cgid named by $mode (id|runtime|id|short|pod|qos|unit|name|gone)" \
			"$want" "$line"
	done
}

ID_DOCKER=$(hex64) ID_CTRD=$(hex64) ID_BARE=$(hex64) ID_CRIO=$(hex64) ID_PODMAN=$(hex64)
ID_ROOTLESS=$(hex64) ID_V1=$(hex64)
UID1=$(cat /proc/sys/kernel/random/uuid) UID2=$(cat /proc/sys/kernel/random/uuid)
UID1_=${UID1//-/_}

run_in "$PARENT/system.slice/docker-$ID_DOCKER.scope"
expect_named "Docker, systemd driver" "$CGID" docker "$ID_DOCKER" "" "" \
	"docker-$ID_DOCKER.scope" "docker:${ID_DOCKER:0:12}"

# Through a process of the cgroup: one read of /proc/PID/cgroup, no walk; through
# a process of another cgroup (this shell), the walk.
"$RESOLVE" --walk --pid "$PID" "$CGID" >"$T/by_pid"
expect_eq "Docker named through its process" "$(head -n 1 "$T/by_pid")" \
	"$("$RESOLVE" --walk "$CGID" | head -n 1)"
expect_eq "stats through its process (walks|by pid)" "0|1" "$(awk -F'|' '$1 == "stats" { print $3 "|" $5 }' "$T/by_pid")"
"$RESOLVE" --walk --pid "$$" "$CGID" >"$T/by_other"
expect_eq "Docker named through another cgroup's process" "$(head -n 1 "$T/by_pid")" "$(head -n 1 "$T/by_other")"
expect_eq "stats through another cgroup's process (walks|by pid)" "1|0" \
	"$(awk -F'|' '$1 == "stats" { print $3 "|" $5 }' "$T/by_other")"

run_in "$PARENT/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$UID1_.slice/cri-containerd-$ID_CTRD.scope"
expect_named "containerd under a kubelet, systemd driver" "$CGID" containerd "$ID_CTRD" "$UID1" burstable \
	"cri-containerd-$ID_CTRD.scope" "k8s:pod $UID1 burstable containerd:${ID_CTRD:0:12}"

run_in "$PARENT/kubepods/besteffort/pod$UID2/$ID_BARE"
expect_named "a kubelet's container, cgroupfs driver" "$CGID" cri "$ID_BARE" "$UID2" besteffort \
	"" "k8s:pod $UID2 besteffort cri:${ID_BARE:0:12}"

run_in "$PARENT/kubepods/pod$UID2"
expect_named "a guaranteed pod's own cgroup, cgroupfs driver" "$CGID" cri "" "$UID2" guaranteed \
	"" "k8s:pod $UID2 guaranteed"

run_in "$PARENT/system.slice/crio-$ID_CRIO.scope"
expect_named "CRI-O" "$CGID" crio "$ID_CRIO" "" "" "crio-$ID_CRIO.scope" "crio:${ID_CRIO:0:12}"

run_in "$PARENT/machine.slice/libpod-$ID_PODMAN.scope"
expect_named "Podman as root" "$CGID" podman "$ID_PODMAN" "" "" "libpod-$ID_PODMAN.scope" \
	"podman:${ID_PODMAN:0:12}"

run_in "$PARENT/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-$ID_ROOTLESS.scope"
expect_named "rootless Podman" "$CGID" podman "$ID_ROOTLESS" "" "" "libpod-$ID_ROOTLESS.scope" \
	"podman:${ID_ROOTLESS:0:12}"

run_in "$PARENT/system.slice/hostmon-test-foo.service"
expect_named "a systemd service" "$CGID" service "" "" "" hostmon-test-foo.service hostmon-test-foo.service

run_in "$PARENT/user.slice/user-1000.slice/session-3.scope"
expect_named "a login session" "$CGID" systemd "" "" "" session-3.scope session-3.scope

# Hybrid host: a cgroupfs-driver runtime names its container only in v1 (/docker/ID).
if [[ -f "$V1MEM/cgroup.procs" ]]; then
	run_in "$PARENT/plain" "$PARENT/docker/$ID_V1"
	expect_named "Docker, cgroupfs driver, v1 memory cgroup only" "$CGID" docker "$ID_V1" "" "" "" \
		"docker:${ID_V1:0:12}"
	expect_eq "v1 fallbacks counted" 1 "$("$RESOLVE" "$CGID" | awk -F'|' '$1 == "stats" { print $4 }')"
else
	echo "note: no v1 memory hierarchy at $V1MEM (not a hybrid host): the v1 case does not apply"
fi

# The root cgroup, and how the ids were found: handles as root, walks when told.
expect_named "the root cgroup" "$(stat -c %i "$CG2")" host "" "" "" "" host
expect_eq "handles used as root (stats: opens, walks)" "1|0" \
	"$("$RESOLVE" "$CGID" | awk -F'|' '$1 == "stats" { print $2 "|" $3 }')"

# Removed: the id is named no more, by either way.
GONE=$CG2/$PARENT/system.slice/crio-$ID_CRIO.scope
GONE_ID=$(stat -c %i "$GONE")
cgroup_remove "$GONE"
[[ ! -d "$GONE" ]] || fail "could not remove $GONE"
for i in "${!CLEANUP_CGROUPS[@]}"; do
	[[ "${CLEANUP_CGROUPS[$i]}" != "$GONE" ]] || unset 'CLEANUP_CGROUPS[i]'
done
expect_eq "removed cgroup by handle" "$GONE_ID|error|2" "$("$RESOLVE" "$GONE_ID" | head -n 1)"
expect_eq "removed cgroup by walk" "$GONE_ID|error|2" "$("$RESOLVE" --walk "$GONE_ID" | head -n 1)"
echo "named 11 real cgroups by handle and by walk; removed one unnamed"
