#!/bin/bash
# hostmonctl selftest's crash on purpose is the canary: its process_crash
# record has "canary": true (comm hostmon-canary, exe hostmonctl), a real
# crash has no canary key, and neither has a crasher started under the name
# hostmon-canary (a symlink: comm hostmon-canary, exe the crasher). The
# metrics windows count the canary in crashes.canary, the others under their
# exe in crashes.by_exe; /metrics has hostmon_selftest_crashes_total 1, no
# hostmon_exe_crashes_total series for hostmonctl, and the kernel's
# hostmon_process_crashes_total{signal="SIGSEGV"} counting all three.
# hostmonctl top shows the canary's row as "selftest canary", not SIGSEGV.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/crasher"
require_file "$BUILD/hostmonctl"
CTL=$(readlink -f "$BUILD/hostmonctl")
CRASHER=$(readlink -f "$HELPERS/crasher")

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
one_second_windows
AGENT_ARGS=(--metrics-listen "127.0.0.1:$port")
agent_start syscalls proc net
segv_crashes 1
real=${CRASHED[0]}
ln -s "$CRASHER" "$T/hostmon-canary"
"$T/hostmon-canary" segv &
spoof=$!
track "$spoof"
wait_child "$spoof" 10
expect_eq "exit status of the crasher named hostmon-canary" 139 "$CHILD_RC"
"$BUILD/hostmonctl" --socket "$SOCK" selftest >"$T/st.out" 2>&1 || fail "selftest failed: $(cat "$T/st.out")"
canary=$(grep -o '^PASS process_crash: pid [0-9]*' "$T/st.out" | grep -o '[0-9]*$') ||
	fail "no PASS process_crash line: $(cat "$T/st.out")"
grep -q "^PASS process_crash: pid $canary (hostmon-canary) died of SIGSEGV, marked canary, seen as seq" \
	"$T/st.out" || fail "selftest's process_crash line: $(cat "$T/st.out")"

"$BUILD/hostmonctl" --socket "$SOCK" top --once >"$T/top.out" 2>&1 || fail "hostmonctl top --once: $(cat "$T/top.out")"
grep -Eq " $canary hostmon-canary +selftest canary " "$T/top.out" ||
	fail "top: no 'hostmon-canary selftest canary' row for pid $canary: $(cat "$T/top.out")"
grep -Eq " $real crasher +SIGSEGV " "$T/top.out" || fail "top: no 'crasher SIGSEGV' row for pid $real: $(cat "$T/top.out")"
grep -Eq " $spoof hostmon-canary +SIGSEGV " "$T/top.out" ||
	fail "top: no 'hostmon-canary SIGSEGV' row for the crasher named so, pid $spoof: $(cat "$T/top.out")"

wait_window
wait_window
curl -sS --max-time 10 "http://127.0.0.1:$port/metrics" >"$T/metrics" || fail "GET /metrics over TCP"
agent_stop

expect_eq "canary of the selftest's crash (pid $canary)" \
	"true hostmon-canary $CTL" "$(events process_crash ".pid == $canary" | jq -r '"\(.canary) \(.comm) \(.exe)"')"
expect_eq "canary key of the real crash (pid $real)" "absent" \
	"$(events process_crash ".pid == $real" | jq -r 'if has("canary") then .canary else "absent" end')"
expect_eq "comm, exe and canary key of the crasher named hostmon-canary (pid $spoof)" \
	"hostmon-canary $CRASHER absent" \
	"$(events process_crash ".pid == $spoof" | jq -r '"\(.comm) \(.exe) \(if has("canary") then .canary else "absent" end)"')"
expect_eq "crashes.canary over the windows" 1 "$(sum_metric crashes canary)"
expect_eq "crashes.by_exe[crasher] over the windows" 2 "$(sum_metric crashes by_exe "$CRASHER")"
expect_eq "crashes.by_exe[hostmonctl] over the windows" 0 "$(sum_metric crashes by_exe "$CTL")"
expect_eq "crashes.total (the kernel's count) over the windows" 3 "$(sum_metric crashes total)"

grep -qx 'hostmon_selftest_crashes_total 1' "$T/metrics" ||
	fail "/metrics: expected hostmon_selftest_crashes_total 1, got: $(grep selftest "$T/metrics")"
grep -qxF "hostmon_exe_crashes_total{exe=\"$CRASHER\"} 2" "$T/metrics" ||
	fail "/metrics: expected 2 crashes of $CRASHER, got: $(grep exe_crashes "$T/metrics")"
! grep -q "hostmon_exe_crashes_total{exe=\"[^\"]*hostmonctl\"}" "$T/metrics" ||
	fail "/metrics: a hostmon_exe_crashes_total series for hostmonctl: $(grep exe_crashes "$T/metrics")"
grep -qx 'hostmon_process_crashes_total{signal="SIGSEGV"} 3' "$T/metrics" ||
	fail "/metrics: expected the kernel's 3 SIGSEGV, got: $(grep process_crashes "$T/metrics")"
echo "ok"
