#!/bin/bash
# More records than librdkafka's queue holds (10 000) while no broker is up:
# the queue fills and the rest waits in the spool (backpressure), nothing is
# counted lost; once a broker starts (after the agent) every record arrives
# once and in order: the topic's seqs are 1..N in offset order, N the JSON
# lines, and hostmon-consume --check finds no gap and no duplicate.
# The broker is a private one (ports 19292/19293), stopped at exit.
. "$(dirname "$0")/lib.sh"
require_root
require_file "$HELPERS/getppid_loop"
CONSUME=$BUILD/hostmon-consume
require_file "$CONSUME"

# A slow_syscall record for every getppid call on the host; max_cpu_percent
# 100 so the brownout does not shed them while the agent works through them.
printf '[agent]\ninterval = 1\nhost_id = hostmon-test\nmax_cpu_percent = 100\n[syscalls]\ninclude = getppid\nslow_threshold_us = 0\nsample_above = 0\n' |
	write_config
topic=hostmon-test-backpressure-$$-$RANDOM
AGENT_ARGS=(--kafka-brokers 127.0.0.1:19292 --kafka-topic "$topic")
agent_start syscalls
for ((i = 0; i < 60; i++)); do
	"$HELPERS/getppid_loop" 2000
	(($(q 'length') > 15000)) && break
	nap 0.1
done
written=$(q 'length')
expect_cmp "JSON lines written with no broker" "$written" -gt 15000
# Every line spooled, and librdkafka's queue full (its depth comes with its
# statistics, each second: waited for too).
wait_health ".kafka.spool_records >= $written and .kafka.queue_depth == 10000" 20
expect_eq "/health kafka.lost with the queue full" 0 "$(field "$HEALTH" .kafka.lost)"
expect_eq "/health kafka.state with no broker" unreachable "$(field "$HEALTH" .kafka.state)"

private_broker_start
expect_eq "private broker address" 127.0.0.1:19292 "$PRIVATE_BROKERS"
wait_health ".kafka.state == \"connected\" and .kafka.delivered >= $written" 120
agent_stop 13
n=$(q 'length')
grep -q "component=kafka msg=\"$n records delivered, 0 lost" "$AGENT_LOG" ||
	fail "expected 'kafka: $n records delivered, 0 lost', got: $(grep 'component=kafka' "$AGENT_LOG" | grep -v level=debug | tail -n 5)"
expect_eq "drops.agent.kafka_lost summed" 0 "$(sum_metric drops agent kafka_lost)"
expect_eq "records left in the spool" 0 "$(spool_records "$SPOOL")"
rc=0
timeout 120 "$CONSUME" -b "$PRIVATE_BROKERS" -t "$topic" --end --check >"$T/consume.jsonl" \
	2>"$T/check" || rc=$?
expect_eq "hostmon-consume --check exit status ($(tail -n 3 "$T/check"))" 0 "$rc"
grep -q "^instance .* first=1 last=$n count=$n gaps=0 duplicates=0$" "$T/check" ||
	fail "expected first=1 last=$n count=$n gaps=0 duplicates=0, got: $(grep '^instance ' "$T/check")"
expect_eq "seqs in offset order are 1..$n" true \
	"$(jq -s --argjson n "$n" '[.[].seq] == [range(1; $n + 1)]' "$T/consume.jsonl")"
echo "ok: $n records, $written written before the broker started"
