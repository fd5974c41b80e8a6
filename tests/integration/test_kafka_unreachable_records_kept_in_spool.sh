#!/bin/bash
# With no broker listening, hostmond keeps running and writing JSON lines,
# stops within its 10 s delivery wait on SIGTERM, loses nothing (kafka_lost 0
# in every window) and leaves every undelivered record in its spool for the
# next start: the segments hold one CRC-checked record per JSON line. The age
# of the oldest record waiting, in each window and on /metrics, is the time
# since the first record.
. "$(dirname "$0")/lib.sh"
require_root

one_second_windows
# Port 1 on loopback: connection refused, whatever else runs on this host.
AGENT_ARGS=(--kafka-brokers 127.0.0.1:1 --kafka-topic hostmon-test-unreachable)
agent_start proc
nap 2.5
# The oldest record waiting is the first one written: its age in /metrics.
age=$(api /metrics | awk '$1 == "hostmon_kafka_spool_oldest_age_seconds" { print $2 }')
expect_cmp "hostmon_kafka_spool_oldest_age_seconds after 2.5 s without a broker (ms)" \
	"$(jq -n --argjson a "${age:-0}" '$a * 1000 | floor')" -ge 1000
# Not agent_stop: that allows 5 s, and the delivery wait alone takes 10.
start=$SECONDS
kill -TERM "$AGENT_PID"
wait_child "$AGENT_PID" 20
AGENT_PID=
expect_eq "hostmond exit status after SIGTERM" 0 "$CHILD_RC"
took=$((SECONDS - start))
expect_cmp "seconds from SIGTERM to exit" "$took" -le 13

n=$(q 'length')
expect_cmp "JSON lines written while Kafka is unreachable" "$n" -ge 3
grep -q "component=kafka msg=\"0 records delivered, 0 lost" "$AGENT_LOG" ||
	fail "expected '0 records delivered, 0 lost' in the log, got: $(grep 'component=kafka' "$AGENT_LOG" | grep -v level=debug | tail -n 5)"
grep -q "component=kafka code=HM307 msg=\"$n records not delivered to hostmon-test-unreachable within 10000 ms: kept in the spool for the next start" "$AGENT_LOG" ||
	fail "no warning naming the $n records kept in the spool: $(grep 'component=kafka' "$AGENT_LOG" | grep -v level=debug | tail -n 5)"
expect_eq "windows with drops.agent.kafka_lost 0" \
	"$(count_events metrics)" "$(count_events metrics '.drops.agent.kafka_lost == 0')"
expect_eq "windows with drops.agent.spool_evicted 0" \
	"$(count_events metrics)" "$(count_events metrics '.drops.agent.spool_evicted == 0')"

# Each window's kafka.spool_oldest_age_ns is its time since the first record
# (it waits in the spool from the start), so it grows window by window.
first_ts=$(q '.[0].ts_ns')
while read -r seq ts age; do
	off_ms=$(jq -n --argjson t "$ts" --argjson f "$first_ts" --argjson a "$age" \
		'($a - ($t - $f)) / 1e6 | floor')
	expect_cmp "window $seq: spool_oldest_age_ns minus its time since the first record (ms)" \
		"$off_ms" -ge -1
	expect_cmp "window $seq: spool_oldest_age_ns minus its time since the first record (ms)" \
		"$off_ms" -le 500
done < <(events metrics | jq -r '"\(.seq) \(.ts_ns) \(.kafka.spool_oldest_age_ns)"')
expect_cmp "windows" "$(count_events metrics)" -ge 2

records=$(spool_records "$SPOOL")
expect_eq "records in the spool" "$n" "$records"
