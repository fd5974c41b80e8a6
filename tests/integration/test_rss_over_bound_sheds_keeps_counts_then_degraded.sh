#!/bin/bash
# With max_rss_mb below its real RSS, hostmond treats memory as overload: it
# shrinks what it can at once (the pid cache, announced and counted once),
# sheds slow_syscall then conn_error events, announced in agent_status
# records naming rss as the cause, while every count stays exact (syscall
# calls, refused connects to an endpoint of the test's own); after 60 s over
# the bound with everything shed it logs an error and /health says degraded
# with the memory reason; it keeps running and stops cleanly.
# max_cpu_percent = 100 and a quiet ring buffer leave memory as the only
# trigger; the rule itself is unit-tested (test_brownout).
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/netpeer"
require_file "$HELPERS/syscall_loop"
N=100000
K=200
NR=145		# sched_getscheduler: rare on this host, so slow_syscall events are ours
# A closed loopback port no other test uses, below the ephemeral range
# (32768-60999): a connect to a port in it can pick that same port as its
# source and connect to itself.
for ((i = 0; i < 20; i++)); do
	PORT=$((20000 + RANDOM % 10000))
	ss -Htln "sport = :$PORT" | grep -q . || break
done

write_config <<-EOF
	[agent]
	interval = 1
	host_id = hostmon-test
	max_cpu_percent = 100
	max_rss_mb = 1
	[syscalls]
	include = sched_getscheduler
	slow_threshold_us = 0
	sample_above = 0
	[net]
	events_per_sec = 0
	top_endpoints = 10000
EOF
agent_start syscalls net
for ((i = 0; i < 100; i++)); do
	[[ $(count_events agent_status '.reason | startswith("brownout: overloaded, slow_syscall,conn_error events shed")') -ge 1 ]] && break
	nap 0.1
done
expect_eq "agent_status records shedding slow_syscall for rss" 1 \
	"$(count_events agent_status '(.reason | startswith("brownout: overloaded, slow_syscall events shed, counts kept (cause rss: ")) and (.reason | contains("(max 1 MiB)"))')"
expect_eq "agent_status records shedding conn_error too for rss" 1 \
	"$(count_events agent_status '.reason | startswith("brownout: overloaded, slow_syscall,conn_error events shed, counts kept (cause rss: ")')"
shrink=$(one_event agent_status '.reason | startswith("memory: rss ")')
[[ $(field "$shrink" .reason) =~ over\ max_rss_mb\ 1:\ shrunk:\ pid\ cache\ [0-9]+\ -\>\ [0-9]+\ entries ]] ||
	fail "shrink announcement: $(field "$shrink" .reason)"
expect_field "$(api /health)" .shed "slow_syscall,conn_error"

"$HELPERS/syscall_loop" "$N" "$NR"
"$HELPERS/netpeer" refuse-loop 127.0.0.1 "$PORT" "$K" 0 >"$T/refused"
read -r _ refused <"$T/refused"
expect_eq "connects refused by 127.0.0.1:$PORT" "$K" "$refused"

# 60 s at the last level, over the bound: loud, degraded, still running.
wait_health '.state == "degraded" and (.reason | startswith("memory: rss ")) and (.reason | contains("over max_rss_mb 1 for 60 s with every detail event shed"))' 75
grep -q ' level=error component=hostmond code=HM603 msg="memory: rss .* over max_rss_mb 1 for 60 s with every detail event shed' "$AGENT_LOG" ||
	fail "no error log line about the memory bound"
expect_eq "agent_status records degrading for memory" 1 \
	"$(count_events agent_status '.state == "degraded" and (.reason | startswith("memory: rss "))')"
wait_window
agent_stop

calls=$(sum_calls sched_getscheduler)
expect_cmp "sched_getscheduler calls counted" "$calls" -ge "$N"
expect_eq "slow_syscall records while shed" 0 "$(count_events slow_syscall 'true')"
expect_cmp "slow_syscall events shed (counted)" "$(sum_metric drops syscalls shed)" -ge "$N"
expect_eq "refused connects to 127.0.0.1:$PORT counted" "$K" \
	"$(q --argjson p "$PORT" '[.[] | select(.type == "metrics") | .connections.endpoints[]? |
		select(.port == $p and .address == "127.0.0.1") | .failures.refused] | add // 0')"
expect_eq "conn_error records to port $PORT while shed" 0 "$(count_events conn_error ".dport == $PORT")"
expect_cmp "conn_error events shed (counted)" "$(sum_metric drops net shed)" -ge "$K"
expect_eq "memory shrinks (one crossing)" 1 "$(sum_metric self memory_shrinks)"
expect_eq "max_rss_kb in the windows" 1024 "$(q '[.[] | select(.type == "metrics") | .self.max_rss_kb] | unique | .[0]')"
echo "ok: $calls calls counted, $K refused connects counted, everything shed, degraded after 60 s"
