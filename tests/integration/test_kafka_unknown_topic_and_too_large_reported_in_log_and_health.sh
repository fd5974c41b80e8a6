#!/bin/bash
# On a private broker that does not create topics by itself:
# - a topic that does not exist: hostmond logs the topic and the reason,
#   /health shows the Kafka sink in error, nothing is counted lost, records
#   wait in the spool; once the topic is created every record arrives, in
#   order, once (hostmon-consume --check), and the sink is connected again;
# - a topic whose max.message.bytes (64) no record fits: each record is
#   logged (rate-limited) and counted in drops.agent.kafka_lost, /health
#   shows the error, the spool empties (a record that can never be sent does
#   not block the ones after it), hostmond exits 0 on SIGTERM.
# The private broker (ports 19292/19293, data under the test's directory) is
# stopped at exit; the shared one is not touched.
. "$(dirname "$0")/lib.sh"
require_root
require_file "$HELPERS/kafka_admin"
CONSUME=$BUILD/hostmon-consume
require_file "$CONSUME"

echo "auto.create.topics.enable=false" >"$T/broker.props"
private_broker_start "$T/broker.props"
brokers=$PRIVATE_BROKERS
expect_eq "private broker address" 127.0.0.1:19292 "$brokers"

one_second_windows

# A topic that does not exist yet. librdkafka gives a new topic 30 s to appear.
topic=hostmon-test-missing-$$-$RANDOM
AGENT_ARGS=(--kafka-brokers "$brokers" --kafka-topic "$topic")
agent_start proc
# The agent's state settles at a window; the kafka object is current at every publish.
wait_health '.kafka.state == "error" and .state == "degraded"' 50
[[ $(field "$HEALTH" .kafka.last_error) == *"$topic"*"nknown topic"* ]] ||
	fail "/health kafka.last_error: expected '$topic' and 'Unknown topic', got $(field "$HEALTH" .kafka)"
expect_eq "/health state with the topic missing" degraded "$(field "$HEALTH" .state)"
expect_eq "/health kafka.lost with the topic missing" 0 "$(field "$HEALTH" .kafka.lost)"
expect_eq "/health kafka.delivered with the topic missing" 0 "$(field "$HEALTH" .kafka.delivered)"
expect_cmp "/health kafka.spool_records with the topic missing" \
	"$(field "$HEALTH" .kafka.spool_records)" -gt 0
grep -q "level=error component=kafka code=HM303 msg=\".* to topic $topic failed: .*nknown topic.*: kept in the spool" "$AGENT_LOG" ||
	fail "no log line naming $topic and the unknown topic: $(grep 'component=kafka' "$AGENT_LOG" | grep -v level=debug | tail -n 5)"
lines=$(grep -c "level=error component=kafka code=HM303 msg=\".* to topic $topic failed" "$AGENT_LOG")
expect_cmp "log lines on the missing topic (at most one per 10 s per kind, 2 kinds)" "$lines" -le 8

# Every record written so far was refused: once the topic exists they all arrive.
waiting=$(q 'length')
"$HELPERS/kafka_admin" "$brokers" "$topic" 1 2>"$T/admin.err" ||
	fail "kafka_admin could not create $topic: $(cat "$T/admin.err")"
wait_health ".kafka.state == \"connected\" and .kafka.delivered >= $waiting" 60
agent_stop 13
n=$(q 'length')
grep -q "component=kafka msg=\"$n records delivered, 0 lost" "$AGENT_LOG" ||
	fail "expected 'kafka: $n records delivered, 0 lost', got: $(grep 'component=kafka' "$AGENT_LOG" | grep -v level=debug | tail -n 5)"
expect_eq "drops.agent.kafka_lost summed, topic created late" 0 "$(sum_metric drops agent kafka_lost)"
rc=0
timeout 60 "$CONSUME" -b "$brokers" -t "$topic" --end --check -q 2>"$T/consume.err" || rc=$?
expect_eq "hostmon-consume --check exit status (stderr: $(tail -n 3 "$T/consume.err"))" 0 "$rc"
grep -q "first=1 last=$n count=$n gaps=0 duplicates=0$" "$T/consume.err" ||
	fail "expected first=1 last=$n count=$n gaps=0 duplicates=0, got: $(cat "$T/consume.err")"
expect_eq "records left in the spool" 0 "$(spool_records "$SPOOL")"

# A topic no record fits in.
topic=hostmon-test-tiny-$$-$RANDOM
"$HELPERS/kafka_admin" "$brokers" "$topic" 1 max.message.bytes=64 2>"$T/admin.err" ||
	fail "kafka_admin could not create $topic: $(cat "$T/admin.err")"
rm -rf "$SPOOL" "$OUT" "$AGENT_LOG"
AGENT_ARGS=(--kafka-brokers "$brokers" --kafka-topic "$topic")
agent_start proc
wait_health '.kafka.lost > 0 and .state == "degraded"' 20
expect_eq "/health kafka.state, records too large" error "$(field "$HEALTH" .kafka.state)"
expect_eq "/health state, records too large" degraded "$(field "$HEALTH" .state)"
[[ $(field "$HEALTH" .kafka.last_error) == *"$topic"*"Message size too large"* ]] ||
	fail "/health kafka.last_error: expected '$topic' and 'Message size too large', got $(field "$HEALTH" .kafka)"
nap 3
agent_stop 13
n=$(q 'length')
grep -q "component=kafka msg=\"0 records delivered, $n lost" "$AGENT_LOG" ||
	fail "expected 'kafka: 0 records delivered, $n lost' ($n JSON lines), got: $(grep 'component=kafka' "$AGENT_LOG" | grep -v level=debug | tail -n 5)"
grep -q "level=error component=kafka code=HM302 msg=\"delivery to topic $topic failed: Broker: Message size too large: record dropped" "$AGENT_LOG" ||
	fail "no log line naming $topic and the size: $(grep 'component=kafka' "$AGENT_LOG" | grep -v level=debug | tail -n 5)"
lines=$(grep -c "level=error component=kafka code=HM302 msg=\"delivery to topic $topic failed" "$AGENT_LOG")
expect_cmp "log lines on records too large (one per 10 s)" "$lines" -le 2
# Windows count what was lost before each of them; the last two records (final
# window, "stopped") are lost after the last window and only in the log's total.
last_lost=$(q '[.[] | select(.type == "metrics")] | last | .kafka.lost')
expect_eq "drops.agent.kafka_lost summed vs the last window's kafka.lost" \
	"$last_lost" "$(sum_metric drops agent kafka_lost)"
seq_last=$(q '[.[] | select(.type == "metrics")] | last | .seq')
expect_cmp "records lost by the last window (of $((seq_last - 1)) before it)" "$last_lost" -ge $((seq_last - 20))
expect_eq "records left in the spool" 0 "$(spool_records "$SPOOL")"
