#!/bin/bash
# hostmonctl health, stats, metrics, events (and --follow, --json) read a
# running agent; with no agent every command prints one line and exits 1.
. "$(dirname "$0")/lib.sh"
require_file "$BUILD/hostmonctl"
require_file "$HELPERS/crasher"
CTL=("$BUILD/hostmonctl" --socket "$SOCK")

one_second_windows
agent_start syscalls proc
wait_window

out=$("${CTL[@]}" health)
[[ "$out" == "hostmond running"* ]] || fail "health: expected 'hostmond running ...', got: $out"
grep -Eq '^probe syscalls +attached$' <<<"$out" || fail "health: no 'probe syscalls attached' line in: $out"
expect_field "$("${CTL[@]}" --json health)" .state running

out=$("${CTL[@]}" stats --top 3)
expect_eq "stats --top 3: lines (status, header, 3 rows)" 5 "$(wc -l <<<"$out")"
expect_eq "stats header" "SYSCALL CALLS/S ERRORS/S ERR% P50 P95 P99" "$(sed -n 2p <<<"$out" | tr -s ' ')"
expect_cmp "widest stats line" "$(awk '{ print length }' <<<"$out" | sort -n | tail -1)" -le 80
expect_field "$("${CTL[@]}" --json stats --syscall read)" '[.syscalls[].syscall] | join(",")' read

"${CTL[@]}" metrics >"$T/metrics"
grep -q '^hostmon_syscall_calls_total{syscall="read"} [0-9]' "$T/metrics" ||
	fail "metrics: no hostmon_syscall_calls_total for read in $(head -c 300 "$T/metrics")"

"${CTL[@]}" events --follow >"$T/follow" &
follow=$!
track "$follow"
"$HELPERS/crasher" segv &
pid=$!
track "$pid"
wait_child "$pid" 10
for ((i = 0; i < 50; i++)); do
	grep -q "\"type\":\"process_crash\".*\"pid\":$pid," "$T/follow" && break
	nap 0.1
done
grep -q "\"type\":\"process_crash\".*\"pid\":$pid," "$T/follow" ||
	fail "events --follow: no process_crash of pid $pid within 5 s"
kill "$follow"
"${CTL[@]}" events >"$T/events"
expect_eq "process_crash events of pid $pid in hostmonctl events" 1 \
	"$(jq -s "[.[] | select(.type == \"process_crash\" and .pid == $pid)] | length" "$T/events")"
expect_field "$("${CTL[@]}" --json events --limit 1)" '.events | length' 1

agent_stop
for cmd in health stats metrics events top; do
	rc=0
	"${CTL[@]}" $cmd >"$T/stdout" 2>"$T/stderr" </dev/null || rc=$?
	expect_eq "hostmonctl $cmd exit status with no agent" 1 "$rc"
	expect_eq "hostmonctl $cmd stderr lines with no agent" 1 "$(wc -l <"$T/stderr")"
	grep -q "^hostmonctl: cannot reach hostmond at $SOCK: .*(is it running?)$" "$T/stderr" ||
		fail "hostmonctl $cmd with no agent: got '$(cat "$T/stderr")'"
	expect_eq "hostmonctl $cmd stdout with no agent" "" "$(cat "$T/stdout")"
done
