#!/bin/bash
# Where tracefs cannot be mounted (here: /sys/kernel hidden in a private mount
# namespace, with only the kernel's BTF put back), the default agent runs with
# every family (no program of it attaches through tracefs: connect and accept
# are the syscall family's sys_exit's): "running", a refused connect and a
# crash reported, syscalls counted. With the syscall family off, the net
# family falls back to the syscalls: tracepoints, which need tracefs: it
# fails with the reason, the agent reports "degraded", the proc family keeps
# working and it stops cleanly.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/getppid_loop"
require_file "$HELPERS/crasher"
require_file "$HELPERS/netpeer"

without_tracefs

segv_then_stop() {	# a SIGSEGV crash (pid its pid), a window, the agent stopped
	"$HELPERS/crasher" segv &
	pid=$!
	track "$pid"
	wait_child "$pid" 10
	nap 1.5
	agent_stop
}

# --- the default families: nothing needs tracefs -----------------------------
printf '[agent]\ninterval = 1\nhost_id = hostmon-test\n' | write_config
agent_start syscalls proc net
status=$(q -c 'first(.[] | select(.type == "agent_status"))')
expect_field "$status" .state running
expect_field "$(api /health)" .probes.net.path "socket hooks + syscall family exits"
read -r refused_pid err < <("$HELPERS/netpeer" connect 127.0.0.1 9)
expect_eq "connect errno the helper saw" 111 "$err"
"$HELPERS/getppid_loop" 5000
segv_then_stop
expect_cmp "getppid calls without tracefs" "$(sum_calls getppid)" -ge 5000
expect_field "$(one_event conn_error ".pid == $refused_pid")" .kind refused
expect_field "$(one_event process_crash ".pid == $pid")" .signal 11

# --- the syscall family off: the net family's fallback needs tracefs ---------
OUT=$T/fallback.jsonl
AGENT_LOG=$T/fallback.log
printf '[agent]\ninterval = 1\nhost_id = hostmon-test\n[syscalls]\nenabled = false\n' |
	write_config
agent_start proc
status=$(q -c 'first(.[] | select(.type == "agent_status"))')
expect_field "$status" .state degraded
expect_field "$status" .previous_state starting
[[ $(field "$status" .reason) == "probe family net failed: syscalls tracepoints (syscall family off): "*tracefs* ]] ||
	fail "expected reason 'probe family net failed: syscalls tracepoints (syscall family off): ...tracefs...', got: $status"
health=$(api /health)
expect_field "$health" .state degraded
expect_eq "/health reason" "$(field "$status" .reason)" "$(field "$health" .reason)"
expect_field "$status" .probes.net.state failed
expect_field "$status" .probes.syscalls.state disabled
[[ $(field "$status" .probes.net.error) == *tracefs* ]] ||
	fail "net failure reason does not mention tracefs: $status"
segv_then_stop

expect_field "$(one_event process_crash ".pid == $pid")" .signal 11
# The last window closes while the agent drains.
expect_eq "state of the metrics windows but the last" degraded \
	"$(q -r '[.[] | select(.type == "metrics") | .state][:-1] | unique | join(",")')"
expect_eq "state of the last metrics window" draining \
	"$(q -r '[.[] | select(.type == "metrics") | .state][-1]')"
