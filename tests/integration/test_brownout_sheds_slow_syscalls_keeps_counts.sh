#!/bin/bash
# A storm of slow_syscall events (slow_threshold_us = 0, a 64 KiB ring
# buffer; getppid calls until 2 s after /health shows the shed, then
# SIGTERM, which makes the helper print its exact count: a storm of a fixed
# size could end before the once-a-second sample that starts the brownout,
# and did under the sanitizers, where a full ring makes each call cheap)
# fills the ring buffer: hostmond sheds slow_syscall events in the
# kernel (announced in an agent_status record), every getppid call is still
# counted and every one is accounted for (sent, shed, or lost to the full
# ring, all counted), a crash during the brownout is reported, and once the
# storm is over it recovers (announced) and sends slow_syscall events again.
# max_cpu_percent = 100 leaves the ring buffer as the only trigger: the CPU
# one is unit-tested (test_brownout), as this machine's load is not ours.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/getppid_loop"
require_file "$HELPERS/crasher"

printf '[agent]\ninterval = 1\nhost_id = hostmon-test\nringbuf_size = 65536\nmax_cpu_percent = 100\n[syscalls]\ninclude = getppid\nslow_threshold_us = 0\nsample_above = 0\n' |
	write_config
agent_start syscalls proc
"$HELPERS/getppid_loop" 100000000000 >"$T/storm.count" &
storm=$!
track "$storm"
storm_start=$SECONDS
# Watched on /health, which costs the same however long the output grows
# (a jq pass over the storm's records takes seconds, long enough for the
# storm to end and the brownout with it).
shed_seen=
for ((i = 0; i < 100; i++)); do
	shed_seen=$(field "$(api /health)" .shed)
	[[ $shed_seen == slow_syscall ]] && break
	nap 0.1
done
expect_eq "/health shed during the storm" slow_syscall "$shed_seen"
"$HELPERS/crasher" segv >/dev/null 2>&1 &
crash=$!
wait "$crash" || true
nap 2
proc_exited "$storm" && fail "the storm ended by itself before SIGTERM"
kill -TERM "$storm"
wait_child "$storm" 10
expect_eq "getppid_loop exit status" 0 "$CHILD_RC"
N=$(cat "$T/storm.count")
expect_cmp "getppid calls of the storm ($((SECONDS - storm_start)) s)" "$N" -gt 100000

# Calm: 10 s under the marks, and the 5 s CPU average coming down.
for ((i = 0; i < 300; i++)); do
	shed_seen=$(field "$(api /health)" .shed)
	[[ $shed_seen == none ]] && break
	nap 0.1
done
expect_eq "/health shed after the storm" none "$shed_seen"
expect_cmp "agent_status records announcing the brownout" \
	"$(count_events agent_status '.reason | startswith("brownout: overloaded, slow_syscall events shed")')" -ge 1
expect_cmp "agent_status records announcing the recovery" \
	"$(count_events agent_status '.reason | startswith("brownout over: ")')" -ge 1
"$HELPERS/getppid_loop" 100 &
after=$!
wait "$after"
nap 1.5
agent_stop

expect_cmp "getppid calls counted" "$(sum_calls getppid)" -ge "$N"
shed=$(q '[.[] | select(.type == "metrics") | .drops.syscalls.shed] | add')
ringfull=$(q '[.[] | select(.type == "metrics") | .drops.syscalls.slow_syscall] | add')
sent=$(count_events slow_syscall ".pid == $storm")
expect_cmp "slow_syscall events shed" "$shed" -gt 0
expect_cmp "storm calls accounted for (sent $sent + shed $shed + ring full $ringfull)" \
	"$((sent + shed + ringfull))" -ge "$N"
expect_eq "process_crash events for pid $crash (during the brownout)" 1 \
	"$(count_events process_crash ".pid == $crash")"
expect_cmp "slow_syscall events after the recovery" "$(count_events slow_syscall ".pid == $after")" -ge 100
echo "ok: $shed shed, $sent sent, $ringfull lost to the full ring buffer"
