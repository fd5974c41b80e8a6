#!/bin/bash
# Three 300 ms clock_nanosleep calls over the 250 ms threshold are three
# slow_syscall records naming the sleeping process, the syscall and a latency
# of at least 300 ms; the metrics windows count the calls.
. "$(dirname "$0")/../../integration/lib.sh"
require_file "$HELPERS/sleeper"

detail_events_config
agent_start syscalls
"$HELPERS/sleeper" 3 300000 300000 1 >/dev/null &
pid=$!
track "$pid"
wait_child "$pid" 10
expect_eq "sleeper exit status" 0 "$CHILD_RC"
wait_window
agent_stop

expect_eq "slow_syscall records of pid $pid" 3 "$(count_events slow_syscall ".pid == $pid")"
for ev in $(events slow_syscall ".pid == $pid"); do
	expect_field "$ev" .syscall clock_nanosleep
	expect_field "$ev" .comm sleeper
	expect_field "$ev" .ret 0
	expect_cmp "latency_ns of $ev" "$(field "$ev" .latency_ns)" -ge 300000000
	# Wide: under emulation a wakeup can come late, but not a second late.
	expect_cmp "latency_ns of $ev" "$(field "$ev" .latency_ns)" -lt 1300000000
done
expect_cmp "clock_nanosleep calls over the windows" "$(sum_calls clock_nanosleep)" -ge 3
