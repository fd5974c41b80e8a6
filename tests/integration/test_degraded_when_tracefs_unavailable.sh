#!/bin/bash
# Where tracefs cannot be mounted (here: /sys/kernel hidden in a private mount
# namespace, with only the kernel's BTF put back), the net family fails with
# the reason, the agent reports "degraded", and the other families keep
# working: syscalls are counted, crashes reported, and it stops cleanly.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/getppid_loop"
require_file "$HELPERS/crasher"

without_tracefs
printf '[agent]\ninterval = 1\nhost_id = hostmon-test\n' | write_config

agent_start syscalls proc
status=$(q -c 'first(.[] | select(.type == "agent_status"))')
expect_field "$status" .state degraded
expect_field "$status" .previous_state starting
[[ $(field "$status" .reason) == "probe family net failed: "*tracefs* ]] ||
	fail "expected reason 'probe family net failed: ...tracefs...', got: $status"
health=$(api /health)
expect_field "$health" .state degraded
expect_eq "/health reason" "$(field "$status" .reason)" "$(field "$health" .reason)"
expect_field "$status" .probes.net.state failed
[[ $(field "$status" .probes.net.error) == *tracefs* ]] ||
	fail "net failure reason does not mention tracefs: $status"
"$HELPERS/getppid_loop" 5000
"$HELPERS/crasher" segv &
pid=$!
track "$pid"
wait_child "$pid" 10
nap 1.5
agent_stop

expect_cmp "getppid calls while degraded" "$(sum_calls getppid)" -ge 5000
expect_field "$(one_event process_crash ".pid == $pid")" .signal 11
# The last window closes while the agent drains.
expect_eq "state of the metrics windows but the last" degraded \
	"$(q -r '[.[] | select(.type == "metrics") | .state][:-1] | unique | join(",")')"
expect_eq "state of the last metrics window" draining \
	"$(q -r '[.[] | select(.type == "metrics") | .state][-1]')"
