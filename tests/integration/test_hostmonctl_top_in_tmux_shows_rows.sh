#!/bin/bash
# hostmonctl top in an 80x30 tmux pane shows a busy syscall (getppid) in its
# table, a failing endpoint (refused connects to 127.0.0.1:9) and a fresh crash
# (crasher, SIGSEGV) in its crash list, no line wider than 80 columns; w
# switches to the workloads, where getppid_loop's cgroup (laid out as Docker
# lays out a container's) has its row, and back; it quits on q.
. "$(dirname "$0")/lib.sh"
require_file "$BUILD/hostmonctl"
require_file "$HELPERS/getppid_loop"
require_file "$HELPERS/crasher"
require_file "$HELPERS/netpeer"
require_file "$HELPERS/in_cgroup"
command -v tmux >/dev/null || fail "tmux not installed (tools/install-deps installs it)"
TMUX_CMD=(tmux -L "hostmon-test-$$" -f /dev/null)
on_exit "${TMUX_CMD[*]} kill-server"

ID=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
CG=$(cgroup2_root)/hostmon-top-$$/system.slice/docker-$ID.scope
cgroup2_make "$CG"

one_second_windows
agent_start syscalls proc net
"$HELPERS/in_cgroup" "$CG" "$HELPERS/getppid_loop" 1000000000 &
track $!
"$HELPERS/crasher" segv &
pid=$!
track "$pid"
wait_child "$pid" 10
read -r _ err < <("$HELPERS/netpeer" connect 127.0.0.1 9)
expect_eq "connect errno to the closed port 127.0.0.1:9" 111 "$err"

"${TMUX_CMD[@]}" new-session -d -s top -x 80 -y 30 \
	"$BUILD/hostmonctl --socket $SOCK top --refresh 200; echo exited \$?; sleep 30"
# A refused connect on every turn: the endpoint's row shows the last
# one-second window, and the pane may first be read in a window without one.
for ((i = 0; i < 100; i++)); do
	"$HELPERS/netpeer" connect 127.0.0.1 9 >/dev/null
	"${TMUX_CMD[@]}" capture-pane -p -t top >"$T/pane"
	grep -Eq '^getppid +[0-9.]+ ' "$T/pane" && grep -Eq " $pid crasher +SIGSEGV" "$T/pane" &&
		grep -Eq '^127\.0\.0\.1:9 +[0-9]+ +[1-9][0-9]*$' "$T/pane" && break
	nap 0.1
done
grep -Eq '^getppid +[0-9.]+ ' "$T/pane" || fail "no getppid row in top within 10 s: $(cat "$T/pane")"
grep -Eq " $pid crasher +SIGSEGV" "$T/pane" || fail "no crasher SIGSEGV row in top: $(cat "$T/pane")"
grep -Eq '^127\.0\.0\.1:9 +[0-9]+ +[1-9][0-9]*$' "$T/pane" ||
	fail "no failing endpoint 127.0.0.1:9 row in top: $(cat "$T/pane")"
grep -q '^SYSCALL  *CALLS/S  *ERRORS/S  *ERR%  *P50  *P95  *P99$' "$T/pane" ||
	fail "no syscall table header in top: $(cat "$T/pane")"
expect_eq "top's first line" "hostmond running" "$(head -1 "$T/pane" | cut -c1-16)"
expect_cmp "widest line in top" "$(awk '{ print length }' "$T/pane" | sort -n | tail -1)" -le 80

# w: the workloads; the container's row; w again: the syscalls.
"${TMUX_CMD[@]}" send-keys -t top w
for ((i = 0; i < 50; i++)); do
	"${TMUX_CMD[@]}" capture-pane -p -t top >"$T/pane"
	grep -Eq "^docker:${ID:0:12} +[0-9.]+ " "$T/pane" && break
	nap 0.1
done
grep -q '^WORKLOAD  *CALLS/S  *ERR%  *CRASH  *OOM  *CONNERR  *BUSIEST  *P95$' "$T/pane" ||
	fail "no workload table header in top after w: $(cat "$T/pane")"
grep -Eq "^docker:${ID:0:12} +[0-9.]+ +[0-9.]+ +0 +0 +0 getppid " "$T/pane" ||
	fail "no row for the getppid_loop's container (busiest syscall getppid) after w: $(cat "$T/pane")"
expect_cmp "widest line in top's workload view" \
	"$(awk '{ print length }' "$T/pane" | sort -n | tail -1)" -le 80
"${TMUX_CMD[@]}" send-keys -t top w
for ((i = 0; i < 50; i++)); do
	"${TMUX_CMD[@]}" capture-pane -p -t top | grep -q '^SYSCALL  *CALLS/S' && break
	nap 0.1
done
"${TMUX_CMD[@]}" capture-pane -p -t top | grep -q '^SYSCALL  *CALLS/S' ||
	fail "w again did not bring back the syscalls: $("${TMUX_CMD[@]}" capture-pane -p -t top)"

"${TMUX_CMD[@]}" send-keys -t top q
for ((i = 0; i < 50; i++)); do
	"${TMUX_CMD[@]}" capture-pane -p -t top | grep -q '^exited 0$' && break
	nap 0.1
done
"${TMUX_CMD[@]}" capture-pane -p -t top | grep -q '^exited 0$' ||
	fail "top did not exit 0 on q: $("${TMUX_CMD[@]}" capture-pane -p -t top)"
agent_stop
