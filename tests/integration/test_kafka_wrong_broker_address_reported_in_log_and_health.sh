#!/bin/bash
# A wrong broker address, a refused port (127.0.0.1:1) and then a name that
# does not resolve (nonexistent.invalid:9092): hostmond keeps running, logs
# one line naming the address and the reason (not one per retry), /health,
# hostmonctl health and the metrics records show the Kafka sink unreachable
# with that error and the agent degraded, nothing is counted lost, every
# record stays in the spool (as many as JSON lines) and SIGTERM still ends it
# with status 0.
. "$(dirname "$0")/lib.sh"
require_root

# check_address ADDRESS REASON: one agent run against ADDRESS; REASON is
# librdkafka's words for the failure.
check_address() {
	local addr=$1 reason=$2 health n lines out
	rm -rf "$SPOOL" "$OUT" "$AGENT_LOG"
	AGENT_ARGS=(--kafka-brokers "$addr" --kafka-topic "hostmon-test-wrong-$$-$RANDOM")
	agent_start proc
	# The agent's state settles at a window; the kafka object is current at every publish.
	wait_health '.kafka.state == "unreachable" and .state == "degraded"' 20
	health=$HEALTH
	expect_status "/health with $addr" 200
	expect_eq "/health kafka.state with $addr" unreachable "$(field "$health" .kafka.state)"
	expect_eq "/health state with $addr" degraded "$(field "$health" .state)"
	[[ $(field "$health" .reason) == "kafka unreachable: "*"$addr"* ]] ||
		fail "/health reason: expected 'kafka unreachable: ... $addr', got $(field "$health" .reason)"
	[[ $(field "$health" .kafka.last_error) == *"$addr"*"$reason"* ]] ||
		fail "/health kafka.last_error: expected '$addr' and '$reason', got $(field "$health" .kafka)"
	expect_eq "/health kafka.lost with $addr" 0 "$(field "$health" .kafka.lost)"
	expect_cmp "/health kafka.spool_records with $addr" "$(field "$health" .kafka.spool_records)" -gt 0
	expect_eq "/health kafka.connected_brokers with $addr" 0 "$(field "$health" .kafka.connected_brokers)"
	out=$("$BUILD/hostmonctl" --socket "$SOCK" health)
	grep -q "^kafka  *unreachable: 0 delivered, 0 lost, [1-9][0-9]* spooled; last error: .*$addr.*$reason" <<<"$out" ||
		fail "hostmonctl health: no 'kafka unreachable ... $addr ... $reason' line in: $out"

	agent_stop 13
	grep -q "level=error component=kafka code=HM304 msg=\"brokers $addr: .*$reason" "$AGENT_LOG" ||
		fail "no 'kafka: brokers $addr: ... $reason' line in: $(grep 'component=kafka' "$AGENT_LOG" | grep -v level=debug | tail -n 5)"
	lines=$(grep -v ' level=debug ' "$AGENT_LOG" | grep ' component=kafka ' | grep -c "$addr.*$reason" || true)
	expect_eq "kafka log lines naming $addr and '$reason' (once, rate-limited)" 1 "$lines"
	grep -q "component=lifecycle msg=\"running -> degraded: kafka unreachable: .*$addr" "$AGENT_LOG" ||
		fail "no 'running -> degraded: kafka unreachable: ... $addr' line: $(grep 'lifecycle:' "$AGENT_LOG" | tail -n 3)"
	n=$(q 'length')
	grep -q "component=kafka msg=\"0 records delivered, 0 lost" "$AGENT_LOG" ||
		fail "expected '0 records delivered, 0 lost', got: $(grep 'component=kafka' "$AGENT_LOG" | grep -v level=debug | tail -n 5)"
	expect_eq "metrics records with kafka.state unreachable, $addr" \
		"$(count_events metrics '.kafka.connected_brokers != null')" \
		"$(count_events metrics '.kafka.state == "unreachable" or .kafka.state == "connecting"')"
	expect_eq "last metrics record's kafka.state, $addr" unreachable \
		"$(q -r '[.[] | select(.type == "metrics")] | last | .kafka.state')"
	expect_eq "drops.agent.kafka_lost summed, $addr" 0 "$(sum_metric drops agent kafka_lost)"
	expect_eq "records in the spool (one per JSON line), $addr" "$n" "$(spool_records "$SPOOL")"
}

one_second_windows
check_address 127.0.0.1:1 "Connection refused"
check_address nonexistent.invalid:9092 "Failed to resolve"
