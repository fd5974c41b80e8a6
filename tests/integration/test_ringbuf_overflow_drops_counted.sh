#!/bin/bash
# With a 4 KiB ring buffer and every getppid call slow, events overflow: every
# call is either a slow_syscall event or a counted drop (ring buffer full, or
# shed by the brownout the full ring buffer starts), never lost silently.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/getppid_loop"
N=200000

write_config <<EOF_CONF
[agent]
interval = 60
host_id = hostmon-test
ringbuf_size = 4096
[syscalls]
include = getppid
slow_threshold_us = 0
sample_above = 0
blocking =
EOF_CONF
agent_start syscalls
"$HELPERS/getppid_loop" "$N" &
pid=$!
track "$pid"
wait_child "$pid" 30
agent_stop

calls=$(sum_calls getppid)
events=$(count_events slow_syscall '.syscall == "getppid"')
drops=$(sum_metric drops syscalls slow_syscall)
shed=$(sum_metric drops syscalls shed)
expect_cmp "getppid calls summed over all windows" "$calls" -ge "$N"
expect_cmp "drops.syscalls.slow_syscall summed over all windows (overflow must happen)" \
	"$drops" -gt 0
expect_eq "getppid calls vs slow_syscall events ($events) + drops ($drops) + shed ($shed)" \
	"$calls" "$((events + drops + shed))"
expect_cmp "slow_syscall events for the helper's pid $pid" \
	"$(count_events slow_syscall ".pid == $pid")" -le "$N"
