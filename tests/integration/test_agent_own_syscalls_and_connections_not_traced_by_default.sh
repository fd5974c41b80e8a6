#!/bin/bash
# By default ([agent] trace_self = false) the kernel leaves hostmond's own
# calls and sockets out: no slow_syscall of its slow epoll_pwait, no
# conn_error and no connection count for its refused connects to a Kafka
# broker nobody listens for, no conn_error for the reset of a connection it
# accepted on its metrics port, while a process of the test gets its slow
# sleep and its refused connect reported. With trace_self = true, the agent's
# own appear, under its pid.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/sleeper"
require_file "$HELPERS/netpeer"
SLEEP_US=250000

# Ports of this run alone, free when probed: a broker nobody listens on, so
# every connect librdkafka makes is refused, and the agent's metrics listener.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
BROKER_PORT=$(free_port)
METRICS_PORT=$(free_port)

# run_agent TRACE_SELF: the agent for a few seconds on its own output, log and
# spool, slow epoll_pwait calls (its loop sleeps up to ring_flush_ms, 100 ms)
# reported, while the test's helpers sleep and connect; AGENT gets its pid.
# Every endpoint is listed, in a map that a flood of connects elsewhere on
# this host (other tests) does not evict the broker's port from.
run_agent() {
	write_config <<-EOF
		[agent]
		interval = 1
		host_id = hostmon-test
		max_cpu_percent = 100
		trace_self = $1
		[syscalls]
		include = clock_nanosleep, epoll_pwait
		blocking = futex
		slow_threshold_us = 50000
		[net]
		events_per_sec = 0
		top_endpoints = 10000
		endpoint_entries = 262144
	EOF
	OUT=$T/out-$1.jsonl
	AGENT_LOG=$T/hostmond-$1.log
	SPOOL=$T/spool-$1
	AGENT_ARGS=(--kafka-brokers "127.0.0.1:$BROKER_PORT" --kafka-topic hostmon-test-self
		--metrics-listen "127.0.0.1:$METRICS_PORT")
	agent_start syscalls net
	AGENT=$AGENT_PID
	"$HELPERS/sleeper" 2 "$SLEEP_US" "$SLEEP_US" 1 >/dev/null &
	SLEEPER=$!
	track "$SLEEPER"
	read -r REFUSED err < <("$HELPERS/netpeer" connect 127.0.0.1 "$BROKER_PORT")
	expect_eq "errno of the test's connect to 127.0.0.1:$BROKER_PORT" 111 "$err"
	read -r _ err < <("$HELPERS/netpeer" abort 127.0.0.1 "$METRICS_PORT" 300)
	expect_eq "errno of the test's connect to the metrics port" 0 "$err"
	wait_child "$SLEEPER" 5
	expect_eq "sleeper exit status" 0 "$CHILD_RC"
	# librdkafka retries the broker with a growing backoff: give it a few.
	nap 2
	agent_stop 13
}

# The test's own processes are traced whatever trace_self says.
expect_helpers_reported() {
	expect_eq "slow clock_nanosleep records of the sleeper (pid $SLEEPER)" 2 \
		"$(count_events slow_syscall ".pid == $SLEEPER and .syscall == \"clock_nanosleep\"")"
	expect_eq "refused conn_error records of netpeer (pid $REFUSED) to port $BROKER_PORT" 1 \
		"$(count_events conn_error ".pid == $REFUSED and .kind == \"refused\" and .dport == $BROKER_PORT")"
}

# broker_attempts: connects to the broker's port counted over the windows.
broker_attempts() {
	q "[.[] | select(.type == \"metrics\") | .connections.endpoints[]? |
		select(.endpoint == \"127.0.0.1:$BROKER_PORT\") | .attempts] | add // 0"
}

run_agent false
expect_helpers_reported
# librdkafka's own debug log says the agent did connect, and was refused.
grep -q "127.0.0.1:$BROKER_PORT failed: Connection refused" "$AGENT_LOG" ||
	fail "no refused connect to the broker in the agent's log: $(grep component=kafka "$AGENT_LOG" | tail -n 3)"
expect_eq "slow_syscall records of the agent (pid $AGENT)" 0 \
	"$(count_events slow_syscall ".pid == $AGENT")"
expect_eq "conn_error records of the agent (pid $AGENT)" 0 \
	"$(count_events conn_error ".pid == $AGENT")"
# Its sockets are known as its own where its errors arrive (softirq), not
# reported as some unknown owner's.
expect_eq "conn_error records to the broker's port of any pid but netpeer's" 0 \
	"$(count_events conn_error ".dport == $BROKER_PORT and .pid != $REFUSED")"
expect_eq "conn_error records on the agent's side of its metrics connections" 0 \
	"$(count_events conn_error ".sport == $METRICS_PORT and .saddr == \"127.0.0.1\"")"
expect_eq "connects to 127.0.0.1:$BROKER_PORT counted (netpeer's alone)" 1 "$(broker_attempts)"

run_agent true
expect_helpers_reported
expect_cmp "slow epoll_pwait records of the agent (pid $AGENT)" \
	"$(count_events slow_syscall ".pid == $AGENT and .syscall == \"epoll_pwait\"")" -ge 1
expect_cmp "refused conn_error records of the agent (pid $AGENT) to its broker" \
	"$(count_events conn_error ".pid == $AGENT and .kind == \"refused\" and .dport == $BROKER_PORT")" -ge 1
expect_eq "reset_received conn_error records of the agent (pid $AGENT) on its metrics port" 1 \
	"$(count_events conn_error ".pid == $AGENT and .kind == \"reset_received\" and .sport == $METRICS_PORT")"
expect_cmp "connects to 127.0.0.1:$BROKER_PORT counted (netpeer's and the agent's)" \
	"$(broker_attempts)" -ge 2
