#!/bin/bash
# RED per workload: three cgroups laid out as Docker, containerd on Kubernetes
# (a burstable pod) and CRI-O lay them out, each with its own load: timed
# sleeps in the first, a known number of getppid calls and failing unlink
# calls in the second, a crash loop and refused connects in the third, and in
# a fourth (Podman's) getppid calls hot enough to be sampled. Summed
# over the windows, each workload's calls, errors (by errno), p95, crashes and
# connection failures are what its processes did, and its name, runtime,
# container id, pod UID and QoS class are what its path says; the sampled
# workload's calls are estimated within 2%.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/in_cgroup"
require_file "$HELPERS/sleeper"
require_file "$HELPERS/syscall_loop"
require_file "$HELPERS/crasher"
require_file "$HELPERS/netpeer"

CG2=$(cgroup2_root)
[[ -n "$CG2" ]] || fail "no cgroup2 mount in /proc/self/mountinfo"
hex() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
ID_A=$(hex)
ID_B=$(hex)
ID_C=$(hex)
POD=$(cat /proc/sys/kernel/random/uuid)
BASE=$CG2/hostmon-wl-$$
CG_A=$BASE/system.slice/docker-$ID_A.scope
CG_B=$BASE/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD//-/_}.slice/cri-containerd-$ID_B.scope
CG_C=$BASE/system.slice/crio-$ID_C.scope
ID_D=$(hex)
CG_D=$BASE/machine.slice/libpod-$ID_D.scope
for dir in "$CG_A" "$CG_B" "$CG_C" "$CG_D"; do cgroup2_make "$dir"; done

SLEEPS=300
# Below [syscalls] sample_above (65,536 calls of a syscall on a CPU in a
# window): counted exactly. HOT_GETPPIDS is well above: sampled.
GETPPIDS=50000
HOT_GETPPIDS=1000000
UNLINKS=500	# unlink(NULL): EFAULT
CRASHES=3
CONNECTS=5
PORT=9		# discard: nothing listens on it here

write_config <<EOF_CONF
[agent]
interval = 2
host_id = hostmon-test
[workloads]
top = 1000
EOF_CONF
agent_start syscalls proc net
measured=$("$HELPERS/in_cgroup" "$CG_A" "$HELPERS/sleeper" "$SLEEPS" 500 3000 7)
"$HELPERS/in_cgroup" "$CG_B" "$HELPERS/syscall_loop" "$GETPPIDS" 110
"$HELPERS/in_cgroup" "$CG_B" "$HELPERS/syscall_loop" "$UNLINKS" 87
"$HELPERS/in_cgroup" "$CG_D" "$HELPERS/syscall_loop" "$HOT_GETPPIDS" 110
for ((i = 0; i < CRASHES; i++)); do
	"$HELPERS/in_cgroup" "$CG_C" "$HELPERS/crasher" segv &
	pid=$!
	track "$pid"
	wait_child "$pid" 10
	expect_eq "crasher exit status" 139 "$CHILD_RC"
done
read -r _ refused < <("$HELPERS/in_cgroup" "$CG_C" "$HELPERS/netpeer" refuse-loop 127.0.0.1 "$PORT" "$CONNECTS" 0)
expect_eq "connects the helper saw refused" "$CONNECTS" "$refused"
# Two more windows: every event read and counted before the agent stops;
# C busy meanwhile, so that the last window has it.
"$HELPERS/in_cgroup" "$CG_C" "$HELPERS/sleeper" 6000 400 600 5 >/dev/null &
busy=$!
track "$busy"
wait_window
wait_window
# The stats socket: one workload by its short container id, the first N as ranked.
api "/stats?container=${ID_C:0:12}" >"$T/one"
expect_status "/stats?container=SHORT_ID" 200
expect_eq "/stats?container=SHORT_ID: the workloads" "[\"$ID_C\"]" \
	"$(jq -c '[.workloads.top[].container_id]' "$T/one")"
wait_child "$busy" 30
expect_eq "C's busy sleeper exit status" 0 "$CHILD_RC"
api "/stats?container=crio:${ID_C:0:12}" >/dev/null
expect_status "/stats?container=NAME" 200
api "/stats?top_containers=2" >"$T/two"
expect_status "/stats?top_containers=2" 200
expect_eq "/stats?top_containers=2: workloads listed" 2 "$(jq '.workloads.top | length' "$T/two")"
api "/stats?container=0000000000ff" >"$T/none"
expect_status "/stats?container=UNKNOWN" 404
expect_eq "/stats?container=UNKNOWN: error" unknown_container "$(jq -r .error.code "$T/none")"
api "/stats?container=a%20b" >"$T/bad"
expect_status "/stats?container=WITH_BLANK" 400
api "/stats?top_containers=0" >/dev/null
expect_status "/stats?top_containers=0" 400
# /health: on, and how its names were found (each of the three at least once).
health=$(api /health)
expect_field "$health" .workloads.enabled true
expect_cmp "/health workloads.names.misses (names resolved)" "$(field "$health" .workloads.names.misses)" -ge 3
# Prometheus: the same figures, labelled by container (and pod).
api /metrics >"$T/metrics"
series() {	# NAME LABELS: the value of one series
	grep -F "$1{$2} " "$T/metrics" | awk '{ print $NF }'
}
expect_eq "hostmon_workload_syscall_calls_total of B's getppid" "$GETPPIDS" \
	"$(series hostmon_workload_syscall_calls_total "workload=\"k8s:pod $POD burstable containerd:${ID_B:0:12}\",container=\"$ID_B\",pod=\"$POD\",syscall=\"getppid\"")"
expect_eq "hostmon_workload_crashes_total of C" "$CRASHES" \
	"$(series hostmon_workload_crashes_total "workload=\"crio:${ID_C:0:12}\",container=\"$ID_C\",pod=\"\"")"
expect_eq "hostmon_workload_connection_errors_total of C" "$CONNECTS" \
	"$(series hostmon_workload_connection_errors_total "workload=\"crio:${ID_C:0:12}\",container=\"$ID_C\",pod=\"\"")"
agent_stop

# workload ID: its entries of every window, as one JSON array.
workload() {
	q -c --arg id "$1" '[.[] | select(.type == "metrics") | .workloads.top[]? |
		select(.container_id == $id)]'
}
# total ID FIELD: FIELD of workload ID summed over the windows.
total() {
	jq -r --arg f "$2" '[.[] | .[$f]] | add // 0' <<<"$(workload "$1")"
}
# syscall_total ID SYSCALL FIELD
syscall_total() {
	jq -r --arg s "$2" --arg f "$3" '[.[] | .syscalls[] | select(.syscall == $s) | .[$f]] |
		add // 0' <<<"$(workload "$1")"
}
# names ID: the naming fields, one line (the same in every window).
names() {
	jq -c 'map({name, runtime, container_id, pod_uid, qos, cgroup}) | unique' <<<"$(workload "$1")"
}

echo "A: $(names "$ID_A")"
echo "B: $(names "$ID_B")"
echo "C: $(names "$ID_C")"
expect_eq "workload A's names" \
	"[{\"name\":\"docker:${ID_A:0:12}\",\"runtime\":\"docker\",\"container_id\":\"$ID_A\",\"pod_uid\":null,\"qos\":null,\"cgroup\":\"${CG_A#"$CG2"}\"}]" \
	"$(names "$ID_A")"
expect_eq "workload B's runtime, pod UID and QoS class" \
	"[{\"runtime\":\"containerd\",\"container_id\":\"$ID_B\",\"pod_uid\":\"$POD\",\"qos\":\"burstable\",\"cgroup\":\"${CG_B#"$CG2"}\"}]" \
	"$(jq -c 'map(del(.name))' <<<"$(names "$ID_B")")"
expect_eq "workload C's runtime" '["crio"]' "$(jq -c 'map(.runtime)' <<<"$(names "$ID_C")")"

# A: every sleep counted, p95 of the window with most of them within the
# coarse histogram's bound (6.25%) and a little for the two clocks.
expect_eq "workload A's clock_nanosleep calls" "$SLEEPS" "$(syscall_total "$ID_A" clock_nanosleep calls)"
p95=$(jq -r '[.[] | .syscalls[] | select(.syscall == "clock_nanosleep")] | max_by(.calls) | .p95_ns' \
	<<<"$(workload "$ID_A")")
echo "A's clock_nanosleep p95: helper measured $measured ns, hostmond reports $p95 ns"
expect_within_pct "workload A's clock_nanosleep p95_ns vs the helper's measured p95" "$measured" "$p95" 7
expect_eq "workload A's getppid calls" 0 "$(syscall_total "$ID_A" getppid calls)"

# B: exact calls and errors, the errors by errno.
expect_eq "workload B's getppid calls" "$GETPPIDS" "$(syscall_total "$ID_B" getppid calls)"
expect_eq "workload B's getppid errors" 0 "$(syscall_total "$ID_B" getppid errors)"
expect_eq "workload B's unlink calls" "$UNLINKS" "$(syscall_total "$ID_B" unlink calls)"
expect_eq "workload B's unlink errors" "$UNLINKS" "$(syscall_total "$ID_B" unlink errors)"
expect_eq "workload B's unlink EFAULT errors" "$UNLINKS" \
	"$(jq -r '[.[] | .syscalls[] | select(.syscall == "unlink") | .errnos.EFAULT // 0] | add // 0' \
		<<<"$(workload "$ID_B")")"
expect_eq "workload B's crashes" 0 "$(total "$ID_B" crashes)"
expect_eq "workload B's calls include its getppid and unlink calls" 1 \
	"$(( $(total "$ID_B" calls) >= GETPPIDS + UNLINKS ))"

# D: a sampled syscall's calls, estimated from its timed ones (one in 8 past
# the first 65,536 a CPU a window, each weighing 8).
hot=$(syscall_total "$ID_D" getppid calls)
echo "D's getppid: $HOT_GETPPIDS made, $hot estimated"
expect_within_pct "workload D's sampled getppid calls" "$HOT_GETPPIDS" "$hot" 2
expect_eq "workload D's getppid errors" 0 "$(syscall_total "$ID_D" getppid errors)"

# C: the crash loop and the refused connects, nobody else's.
expect_eq "workload C's crashes" "$CRASHES" "$(total "$ID_C" crashes)"
expect_eq "workload C's connection failures" "$CONNECTS" "$(total "$ID_C" conn_errors)"
expect_eq "workload A's crashes" 0 "$(total "$ID_A" crashes)"
expect_eq "workload A's connection failures" 0 "$(total "$ID_A" conn_errors)"
expect_eq "cgroup map drops" 0 "$(sum_metric drops syscalls reasons cgroup_map)"
echo "PASS: $TEST_NAME"
