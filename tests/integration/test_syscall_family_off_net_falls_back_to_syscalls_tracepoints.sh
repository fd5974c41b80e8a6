#!/bin/bash
# With the syscall family off ([syscalls] enabled = false), the net family
# attaches its own syscalls: tracepoints for connect() and accept() instead,
# says so in /health ("path") and in the start log, and still reports a
# refused connect, a connected UDP socket's owner, a connect failing at once
# with its destination and an accepted socket's owner.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/netpeer"

write_config <<EOF_CONF
[agent]
interval = 1
host_id = hostmon-test
[syscalls]
enabled = false
EOF_CONF
agent_start proc net
attached=$(agent_perf_attachments)
expect_eq "the agent's syscalls: tracepoints" \
	"$(printf 'tracepoint %s\n' sys_enter_connect sys_exit_accept sys_exit_accept4 sys_exit_connect)" \
	"$(grep '^tracepoint sys_' <<<"$attached" || true)"
health=$(api /health)
expect_field "$health" .state running
expect_field "$health" .probes.syscalls.state disabled
expect_field "$health" .probes.net.state attached
expect_field "$health" .probes.net.path "socket hooks + syscalls tracepoints (syscall family off)"
read -r refused_pid err < <("$HELPERS/netpeer" connect 127.0.0.1 9)
exits_run
nap 1.5
agent_stop
expect_eq "connect errno the helper saw" 111 "$err"
ev=$(one_event conn_error ".pid == $refused_pid")
expect_field "$ev" .kind refused
expect_field "$ev" .comm netpeer
expect_field "$ev" .connect true
exits_checked
grep -q 'component=net msg="attached: socket hooks + syscalls tracepoints (syscall family off)"' \
	"$AGENT_LOG" || fail "the start log does not say that the net family fell back to the syscalls: tracepoints"
