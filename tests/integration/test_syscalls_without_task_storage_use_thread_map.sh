#!/bin/bash
# On a kernel without BPF task storage (5.10; here forced with
# HOSTMON_FEATURES_OFF), the syscall family takes its thread-map path, says
# so in /health and the log, counts and times calls as well as with task
# storage, and forgets each thread when it exits.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/sleeper"
require_file "$HELPERS/getppid_loop"
N=2000
CALLS=100000
PROCS=200

export HOSTMON_FEATURES_OFF=task_storage,task_btf
write_config <<EOF_CONF
[agent]
interval = 60
host_id = hostmon-test
[syscalls]
include = clock_nanosleep, getppid
EOF_CONF
agent_start syscalls
health=$(api /health)
path=$(field "$health" .probes.syscalls.path)
[[ $path == "thread map"* ]] || fail "/health probes.syscalls.path: expected the thread map, got '$path'"
expect_field "$health" .kernel.task_storage false
grep -q 'component=syscalls msg="attached: thread map' "$AGENT_LOG" ||
	fail "the log does not say the syscall family took the thread map"

measured=$("$HELPERS/sleeper" "$N" 100 2000 42)
"$HELPERS/getppid_loop" "$CALLS"
# Short-lived processes that make a traced call each (the helper's getppid):
# none of them may keep an entry once it has exited.
pids=()
for ((i = 0; i < PROCS; i++)); do
	"$HELPERS/getppid_loop" 1 &
	pids+=("$!")
done
wait "${pids[@]}"
map=$(bpftool -j map show name thread_starts | jq -s 'map(select(.name == "thread_starts")) | .[0].id')
[[ $map =~ ^[0-9]+$ ]] || fail "no thread_starts map loaded: $map"
bpftool -j map dump id "$map" >"$T/dump"
jq -e 'all(.[]; .formatted.key | type == "number")' "$T/dump" >/dev/null ||
	fail "bpftool's dump of thread_starts has no numeric keys: $(head -c 200 "$T/dump")"
jq '.[].formatted.key' "$T/dump" >"$T/tids"
left=0
for p in "${pids[@]}"; do
	grep -qx "$p" "$T/tids" && left=$((left + 1))
done
expect_eq "exited processes still in the thread map" 0 "$left"
agent_stop

expect_sleeper_p95 "$measured" "$N"
expect_cmp "getppid calls summed over all metrics windows" "$(sum_calls getppid)" -ge \
	"$((CALLS + PROCS))"
expect_eq "thread_map drops" 0 "$(q '[.[] | select(.type == "metrics") | .drops.syscalls.thread_map // 0] | add')"
