#!/bin/bash
# tools/kafka-local's broker works with Debian's librdkafka (through kcat): a
# keyed message produced with enable.idempotence=true and acks=all is consumed
# back byte for byte, the producer acquires a producer id from the broker, and
# the broker stores the batch with that producer id and sequence 0 (idempotence
# really active, not switched off by an old client against a new broker).
# Uses the shared broker (lib.sh kafka_start).
. "$(dirname "$0")/lib.sh"

kafka_start roundtrip
brokers=$BROKERS
expect_eq "last line of tools/kafka-local start" 127.0.0.1:9092 "$brokers"
again=$("$KAFKA_LOCAL" start 2>/dev/null | tail -n 1)
expect_eq "last line of a second tools/kafka-local start" "$brokers" "$again"

topic=$TOPIC
key=host-$$
payload="roundtrip $$ $(date +%s%N) ünïcode |tab	end"

printf '%s\t%s\n' "$key" "$payload" |
	timeout 60 kcat -P -b "$brokers" -t "$topic" -K $'\t' \
		-X enable.idempotence=true -X acks=all -X debug=eos,protocol \
		2>"$T/produce.log" || fail "kcat produce exited $?: $(grep -v '^%7' "$T/produce.log" | tail -n 5)"

grep -q 'librdkafka v2\.0\.2' "$T/produce.log" ||
	fail "expected Debian's librdkafka 2.0.2 in kcat's log, got: $(grep -m1 -o 'librdkafka v[^ ]*' "$T/produce.log")"
pid_line=$(grep -m1 -o 'Acquired PID{Id:[0-9]*,Epoch:[0-9]*}' "$T/produce.log") ||
	fail "producer acquired no idempotence PID; eos log: $(grep -E 'IDEMP|GETPID|PID' "$T/produce.log" | tail -n 10)"
producer_id=$(sed -E 's/.*Id:([0-9]+),.*/\1/' <<<"$pid_line")
grep -q "\[0\] changed PID{Invalid} -> PID{Id:$producer_id," "$T/produce.log" ||
	fail "partition 0 of $topic was not produced with PID $producer_id: $(grep NEWPID "$T/produce.log")"

got=$(timeout 60 kcat -C -b "$brokers" -t "$topic" -o beginning -c 1 -e -f '%k\t%s\n' 2>"$T/consume.log") ||
	fail "kcat consume failed: $(tail -n 5 "$T/consume.log")"
expect_eq "message consumed from $topic (key, tab, value)" "$key	$payload" "$got"

batch=$("$KAFKA_LOCAL" dump-log "$topic" 2>"$T/dump.err" | grep -m1 '^baseOffset:') ||
	fail "no record batch in $topic's log: $(tail -n 5 "$T/dump.err")"
[[ $batch =~ producerId:\ ([-0-9]+) ]] || fail "no producerId in the stored batch: $batch"
expect_eq "producer id of the batch the broker stored" "$producer_id" "${BASH_REMATCH[1]}"
[[ $batch =~ baseSequence:\ ([-0-9]+) ]] || fail "no baseSequence in the stored batch: $batch"
expect_eq "sequence of the first idempotent batch" 0 "${BASH_REMATCH[1]}"
echo "ok: $pid_line; stored: $batch"
