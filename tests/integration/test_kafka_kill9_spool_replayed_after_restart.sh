#!/bin/bash
# hostmond killed with SIGKILL while the broker is unreachable, then started
# again on the same spool_dir with the broker up: every record the first run
# spooled reaches the topic first, under the first run's instance id with its
# seqs 1..K (no gap, no duplicate, K at least the first run's last JSON line
# but one: the record being emitted at the kill may be in JSON lines only),
# then the second run's records under a new instance id from seq 1.
. "$(dirname "$0")/lib.sh"
require_root
require_file "$HELPERS/getppid_loop"
require_file "$BUILD/hostmon-consume"

kafka_start kill9
brokers=$BROKERS
topic=$TOPIC

# The stream must not depend on the agent's CPU: a brownout (over 2% of a
# core on a loaded machine, or under the sanitizers) would shed it.
printf '[agent]\ninterval = 1\nhost_id = hostmon-test\nmax_cpu_percent = 100\n[syscalls]\ninclude = getppid\nslow_threshold_us = 0\nsample_above = 0\n' |
	write_config
(while :; do "$HELPERS/getppid_loop" 20; sleep 0.1; done) &
track $!

# First run: port 1 on loopback refuses, so everything stays in the spool.
AGENT_ARGS=(--kafka-brokers 127.0.0.1:1 --kafka-topic "$topic")
agent_start syscalls
nap 4
kill -KILL "$AGENT_PID"
wait_child "$AGENT_PID" 5
AGENT_PID=
first_last=$(jq -Rn '[inputs | fromjson? | .seq] | max' "$OUT")
first_instance=$(grep -o 'as instance [0-9a-f-]*' "$AGENT_LOG" | cut -d' ' -f3)
expect_cmp "records of the first run" "$first_last" -ge 300
ls "$SPOOL"/*.seg >/dev/null 2>&1 || fail "no spool segment in $SPOOL after SIGKILL"

# Second run: same spool, the real broker.
mv "$OUT" "$T/first.jsonl"
mv "$AGENT_LOG" "$T/first.log"
AGENT_ARGS=(--kafka-brokers "$brokers" --kafka-topic "$topic")
agent_start syscalls
nap 4
agent_stop 13	# the final deliveries may wait on a slow broker
grep -q 'component=kafka msg="[0-9]* records delivered, 0 lost' "$AGENT_LOG" ||
	fail "second run did not deliver everything: $(grep 'component=kafka' "$AGENT_LOG" | grep -v level=debug | tail -n 5)"
grep -q "component=spool msg=\"$SPOOL: [0-9]* records in [0-9]* segments to replay" "$AGENT_LOG" ||
	fail "second run did not announce a replay: $(grep 'spool' "$AGENT_LOG" | tail -n 5)"
second_n=$(q 'length')
second_instance=$(grep -o 'as instance [0-9a-f-]*' "$AGENT_LOG" | cut -d' ' -f3)
[[ $first_instance != "$second_instance" ]] || fail "both runs have instance id $first_instance"

rc=0
timeout 120 "$BUILD/hostmon-consume" -b "$brokers" -t "$topic" --end --check \
	>"$T/topic.jsonl" 2>"$T/check" || rc=$?
expect_eq "hostmon-consume --check exit status ($(tail -n 3 "$T/check"))" 0 "$rc"
expect_eq "instances in $topic" 2 "$(grep -c '^instance ' "$T/check")"
line=$(grep "^instance .* instance_id=$first_instance " "$T/check") ||
	fail "no record of the first run ($first_instance) in $topic: $(cat "$T/check")"
[[ $line =~ first=1\ last=([0-9]+)\ count=([0-9]+)\ gaps=0\ duplicates=0$ ]] ||
	fail "first run: expected first=1, no gap, no duplicate, got: $line"
k=${BASH_REMATCH[1]}
expect_cmp "first run's last seq in Kafka" "$k" -ge $((first_last - 1))
grep -q "^instance .* instance_id=$second_instance first=1 last=$second_n count=$second_n gaps=0 duplicates=0$" "$T/check" ||
	fail "second run: expected first=1 last=$second_n count=$second_n, got: $(grep "$second_instance" "$T/check")"
# Replayed first: every first-run record comes before the second run's first one.
order=$(jq -r '.instance_id' "$T/topic.jsonl" | uniq | tr '\n' ' ')
expect_eq "instance ids in topic order" "$first_instance $second_instance " "$order"
expect_eq "segments left in the spool after a clean stop, all delivered" 0 "$(ls "$SPOOL"/*.seg 2>/dev/null | wc -l)"
echo "ok: first run $k records replayed (last JSON line seq $first_last), second run $second_n"
