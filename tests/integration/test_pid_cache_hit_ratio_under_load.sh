#!/bin/bash
# Under refused connects from a few long-lived processes, many short-lived
# ones and one in a docker-like cgroup, the process metadata cache answers at
# least 80% of lookups (self.pid_cache and /metrics), every lookup is one
# conn_error or slow_syscall record, each event names its own process's exe
# (never another's: a helper forks through a whole cycle of pids until its
# first child's pid comes back, in another program), and the events of the
# process in cgroup docker-<64 hex>.scope carry that id as container_id.
# The helpers run without capabilities, so /proc/PID/exe is open to the
# capability-less agent too; test_exe_known_for_processes_agent_cannot_ptrace
# covers the processes it may not ptrace (exe from the kernel's map).
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/netpeer"
command -v setpriv >/dev/null || fail "setpriv not installed (Debian package util-linux)"

CG2=/sys/fs/cgroup/unified
[[ -f $CG2/cgroup.procs ]] || CG2=/sys/fs/cgroup
[[ $(stat -fc %T "$CG2") == cgroup2fs ]] || fail "no cgroup2 hierarchy at $CG2"
ID=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
CG=$CG2/docker-$ID.scope
mkdir "$CG" && CLEANUP_CGROUPS+=("$CG")

# Two programs, so that an event given the other one's exe shows.
A=$T/netpeer-a
B=$T/netpeer-b
cp "$HELPERS/netpeer" "$A"
cp "$HELPERS/netpeer" "$B"
nocaps=(setpriv --bounding-set=-all --inh-caps=-all --)
# slow_syscall events from the helpers' 300 ms sleeps.
detail_events_config
agent_start syscalls net

# refuse_loop EXE N: N refused connects, then 600 ms alive (two 300 ms sleeps).
declare -A EXE_OF REFUSED_BY
long=()
for i in 1 2 3 4; do
	exe=$A; ((i % 2)) || exe=$B
	"${nocaps[@]}" "$exe" refuse-loop 127.0.0.1 9 300 600 >"$T/long-$i" &
	long+=($!)
	EXE_OF[$!]=$exe
	track $!
done
# The one in the container: it joins the cgroup, then runs the helper.
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CG" \
	"${nocaps[@]}" "$B" refuse-loop 127.0.0.1 9 200 600 >"$T/boxed" &
boxed=$!
EXE_OF[$boxed]=$B
track "$boxed"
short=()
for i in $(seq 1 40); do
	exe=$A; ((i % 2)) || exe=$B
	read -r pid err < <("${nocaps[@]}" "$exe" connect 127.0.0.1 9)
	expect_eq "short-lived connect errno" 111 "$err"
	short+=("$pid")
	EXE_OF[$pid]=$exe
done
# Its last line is its own; the child it finally runs prints one first.
"${nocaps[@]}" "$A" pid-reuse 127.0.0.1 9 "$B" >"$T/reuse" || fail "netpeer pid-reuse failed"
read -r _ reused < <(tail -n 1 "$T/reuse")
for pid in "${long[@]}" "$boxed"; do
	wait_child "$pid" 30
	expect_eq "helper $pid exit status" 0 "$CHILD_RC"
done
for i in 1 2 3 4; do
	read -r pid n <"$T/long-$i"
	REFUSED_BY[$pid]=$n
done
read -r pid n <"$T/boxed"
REFUSED_BY[$pid]=$n
wait_window
wait_window
api /metrics >"$T/metrics"
agent_stop

# Every lookup is one record: a conn_error with an owner, or a slow_syscall.
hits=$(sum_metric self pid_cache hits)
misses=$(sum_metric self pid_cache misses)
events=$(q '[.[] | select((.type == "conn_error" and .pid != 0) or .type == "slow_syscall")] | length')
expect_eq "pid cache lookups (hits $hits + misses $misses) = conn_error and slow_syscall records" \
	"$events" "$((hits + misses))"
ratio=$(jq -n "$hits / ($hits + $misses)")
jq -en "$ratio >= 0.80" >/dev/null || fail "hit ratio over the run: expected >= 0.80, got $ratio"
prom=$(awk '$1 == "hostmon_agent_pid_cache_hit_ratio" { print $2 }' "$T/metrics")
jq -en "$prom >= 0.80" >/dev/null || fail "/metrics hostmon_agent_pid_cache_hit_ratio: expected >= 0.80, got $prom"

# The long-lived helpers: every refused connect is an event with its own exe.
ours=0
for pid in "${!REFUSED_BY[@]}"; do
	expect_own_exe "$pid" "${EXE_OF[$pid]}" "${REFUSED_BY[$pid]}"
	ours=$((ours + REFUSED_BY[$pid]))
done
expect_cmp "hits (our ${ours} events from 5 processes: all but 5 answered from the cache)" \
	"$hits" -ge $((ours - 5))
# The short-lived ones may be gone before /proc is read: no exe then, never another's.
for pid in "${short[@]}"; do
	expect_eq "conn_error records of short-lived pid $pid" 1 "$(count_events conn_error ".pid == $pid")"
	expect_eq "conn_error of short-lived pid $pid with another's exe" 0 \
		"$(count_events conn_error ".pid == $pid and .exe != null and .exe != \"${EXE_OF[$pid]}\"")"
done
# The reused pid: first a fork of netpeer-a, then a process running netpeer-b.
mapfile -t twice < <(events conn_error ".pid == $reused" | jq -c '[.comm, .exe]')
expect_eq "conn_error records of reused pid $reused" 2 "${#twice[@]}"
expect_eq "first process with pid $reused (comm, exe)" "[\"netpeer-a\",\"$A\"]" "${twice[0]}"
expect_eq "second process with pid $reused (comm, exe)" "[\"netpeer-b\",\"$B\"]" "${twice[1]}"

# The container: every event of the boxed process names it.
expect_eq "conn_error records of pid $boxed outside container $ID" 0 \
	"$(count_events conn_error ".pid == $boxed and (.container_id != \"$ID\" or .cgroup != \"/docker-$ID.scope\")")"
expect_cmp "slow_syscall records of pid $boxed in container $ID" \
	"$(count_events slow_syscall ".pid == $boxed and .container_id == \"$ID\"")" -ge 1
expect_eq "records of our other processes with a container id" 0 \
	"$(count_events conn_error "(.pid == ${long[0]} or .pid == ${short[0]}) and .container_id != null")"
echo "ok: hit ratio $ratio ($hits hits, $misses misses), /metrics $prom, reused pid $reused"
