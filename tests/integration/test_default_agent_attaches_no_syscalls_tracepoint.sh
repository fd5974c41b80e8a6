#!/bin/bash
# The default agent puts no program on any syscalls: tracepoint: one would
# switch on the kernel's per-syscall tracepoint dispatch for every syscall of
# every process. bpftool lists its raw sys_enter/sys_exit and socket
# tracepoints, none through a perf tracepoint; /health says where connect()
# and accept() are seen. Their exits run in the syscall family's sys_exit even
# with its histograms limited to getppid: a connected UDP socket's owner, a
# connect failing at once with its destination, an accepted socket's owner.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/netpeer"

write_config <<EOF_CONF
[agent]
interval = 1
host_id = hostmon-test
[syscalls]
include = getppid
EOF_CONF
agent_start syscalls proc net
attached=$(agent_perf_attachments)
for tp in sys_enter sys_exit inet_sock_set_state tcp_destroy_sock; do
	grep -qx "raw_tracepoint $tp" <<<"$attached" ||
		fail "expected the agent's raw tracepoint $tp in bpftool perf list, got: $attached"
done
perf_tps=$(grep -v '^raw_tracepoint ' <<<"$attached" || true)
expect_eq "the agent's programs on perf tracepoints (syscalls: or other)" "" "$perf_tps"
health=$(api /health)
expect_field "$health" .probes.net.path "socket hooks + syscall family exits"
expect_field "$health" .probes.syscalls.state attached
exits_run
nap 1.5
agent_stop
exits_checked
grep -q 'component=net msg="attached: socket hooks + syscall family exits"' "$AGENT_LOG" ||
	fail "the start log does not say where connect and accept owners come from"
