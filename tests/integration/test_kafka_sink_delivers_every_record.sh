#!/bin/bash
# With --kafka-brokers, every record hostmond writes as a JSON line also
# reaches Kafka as a hostmon.v1.Envelope (decoded with protoc): same seqs in
# the same order, keyed by host id, one instance id, a crash with the JSON
# record's fields; the broker stores the batches idempotent and lz4-compressed.
# build/hostmon-consume decodes the same (seq, type) list with --check finding
# no gap and no duplicate, and finds the gap and the duplicate in a copy of the
# messages with one left out and one sent twice. The agent's events_out.kafka
# counts by kind what the broker acknowledged.
# Uses the shared tools/kafka-local broker (lib.sh kafka_start).
. "$(dirname "$0")/lib.sh"
require_root
require_file "$HELPERS/crasher"
command -v protoc >/dev/null || fail "protoc not found (Debian package protobuf-compiler)"

kafka_start sink
brokers=$BROKERS
topic=$TOPIC

one_second_windows
AGENT_ARGS=(--kafka-brokers "$brokers" --kafka-topic "$topic")
agent_start proc
"$HELPERS/crasher" segv &
pid=$!
track "$pid"
wait_child "$pid" 10
nap 2.5
agent_stop 13	# the final deliveries may wait on a slow broker
grep -q 'component=kafka msg="[0-9]* records delivered, 0 lost' "$AGENT_LOG" ||
	fail "hostmond did not report every record delivered: $(grep 'component=kafka' "$AGENT_LOG" | tail -n 5)"

# The agent's own counts: per kind, what the broker acknowledged by the last
# window is its first kafka.delivered records (acks come in seq order), and
# the JSON lines and the socket took every record written before it.
last=$(events metrics | tail -n 1)
delivered=$(field "$last" .kafka.delivered)
expect_cmp "records the broker acknowledged by the last window" "$delivered" -ge 3
expect_eq "kafka.delivered_seq of the last window" "$delivered" "$(field "$last" .kafka.delivered_seq)"
expect_eq "events_out.kafka by kind over the windows vs the first $delivered lines" \
	"$(q -cS --argjson d "$delivered" '[.[] | select(.seq <= $d) | .type] | group_by(.) |
		map({key: .[0], value: length}) | from_entries')" \
	"$(q -cS '[.[] | select(.type == "metrics") | .self.events_out.kafka | to_entries[]] |
		group_by(.key) | map({key: .[0].key, value: (map(.value) | add)}) |
		map(select(.value > 0)) | from_entries')"
events_counted jsonl
events_counted socket

jsonl_seqs=$(q -c '[.[] | [.seq, .type]]')
n=$(q 'length')
expect_cmp "JSON lines written" "$n" -ge 4

# Each Kafka message by offset, decoded to protobuf text format.
timeout 30 kcat -C -b "$brokers" -t "$topic" -o beginning -e -f '%o %k %T\n' >"$T/index" 2>"$T/kcat.err" ||
	fail "kcat could not list $topic: $(tail -n 5 "$T/kcat.err")"
expect_eq "Kafka messages in $topic" "$n" "$(wc -l <"$T/index")"
# Each message's timestamp is its record's ts_ns, in ms (CreateTime set by
# hostmond); the digits are cut as text, as jq would round 19-digit numbers.
expect_eq "message timestamps (ms) vs the JSON lines' ts_ns / 1e6, in order" \
	"$(grep -o '"ts_ns":[0-9]*' "$OUT" | cut -d: -f2 | sed 's/......$//' | tr '\n' ' ')" \
	"$(awk '{ printf "%s ", $3 }' "$T/index")"
kafka_seqs=()
instances=()
while read -r offset key _; do
	expect_eq "key of message $offset" hostmon-test "$key"
	timeout 30 kcat -C -b "$brokers" -t "$topic" -o "$offset" -c 1 -e -f '%s' >"$T/msg.$offset.bin" 2>/dev/null
	protoc --decode=hostmon.v1.Envelope -I "$ROOT/proto" "$ROOT/proto/hostmon.proto" \
		<"$T/msg.$offset.bin" >"$T/msg.$offset.txt" || fail "message $offset is not an Envelope"
	seq=$(sed -n 's/^seq: //p' "$T/msg.$offset.txt")
	type=$(grep -m1 -oE '^[a-z_]+ \{' "$T/msg.$offset.txt" | cut -d' ' -f1)
	kafka_seqs+=("[$seq,\"$type\"]")
	instances+=("$(sed -n 's/^instance_id: //p' "$T/msg.$offset.txt")")
	# Only our crasher's: other processes on the host may crash meanwhile.
	[[ $type == process_crash ]] && grep -qx "  pid: $pid" "$T/msg.$offset.txt" &&
		cp "$T/msg.$offset.txt" "$T/crash.txt"
done <"$T/index"
kafka=$(IFS=,; echo "[${kafka_seqs[*]}]")
expect_eq "(seq, type) of every record, JSON lines vs Kafka" "$jsonl_seqs" "$(jq -c . <<<"$kafka")"
expect_eq "distinct instance ids" 1 "$(printf '%s\n' "${instances[@]}" | sort -u | wc -l)"
[[ ${instances[0]} =~ ^\"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\"$ ]] ||
	fail "instance id is not a v4 UUID: ${instances[0]}"

[[ -f $T/crash.txt ]] || fail "no process_crash envelope in $topic"
ev=$(one_event process_crash ".pid == $pid")
expect_eq "crash pid in Kafka" "$pid" "$(sed -n 's/^  pid: //p' "$T/crash.txt")"
expect_eq "crash signal_name in Kafka" '"SIGSEGV"' "$(sed -n 's/^  signal_name: //p' "$T/crash.txt")"
expect_eq "crash exe in Kafka" "$(field "$ev" '.exe | @json')" "$(sed -n 's/^  exe: //p' "$T/crash.txt")"

"$KAFKA_LOCAL" dump-log "$topic" >"$T/dump" 2>"$T/dump.err" || fail "dump-log: $(tail -n 5 "$T/dump.err")"
batches=$(grep -c '^baseOffset:' "$T/dump")
expect_cmp "record batches stored" "$batches" -ge 1
expect_eq "batches without a producer id (not idempotent)" 0 "$(grep -c 'producerId: -1' "$T/dump")"
# librdkafka sends a batch uncompressed when lz4 would not make it smaller:
# in practice a batch of one record.
expect_eq "batches of several records not lz4-compressed" 0 \
	"$(grep '^baseOffset:' "$T/dump" | grep -v ' count: 1 ' | grep -vc 'compresscodec: lz4')"
expect_cmp "lz4-compressed batches" "$(grep -c 'compresscodec: lz4' "$T/dump")" -ge 1

CONSUME=$BUILD/hostmon-consume
require_file "$CONSUME"
rc=0
timeout 60 "$CONSUME" -b "$brokers" -t "$topic" --end --check >"$T/consume.jsonl" 2>"$T/consume.err" || rc=$?
expect_eq "hostmon-consume --check exit status (stderr: $(tail -n 3 "$T/consume.err"))" 0 "$rc"
expect_eq "(seq, type) of every record, JSON lines vs hostmon-consume" "$jsonl_seqs" \
	"$(jq -sc '[.[] | [.seq, .type]]' "$T/consume.jsonl")"
expect_eq "hostmon-consume instance lines" 1 "$(grep -c '^instance ' "$T/consume.err")"
grep -q "^instance host_id=hostmon-test .* first=1 last=$n count=$n gaps=0 duplicates=0$" "$T/consume.err" ||
	fail "expected first=1 last=$n count=$n gaps=0 duplicates=0, got: $(grep '^instance ' "$T/consume.err")"
expect_eq "crash exe, hostmon-consume" "$(field "$ev" '.exe')" \
	"$(jq -r --argjson pid "$pid" 'select(.type == "process_crash" and .process_crash.pid == $pid) |
		.process_crash.exe' "$T/consume.jsonl")"

# The same envelopes again with offset 1 left out and offset 2 sent twice
# (kcat -P sends each file as one message): one gap, one duplicate, exit 1.
copy=$topic-copy
files=("$T/msg.0.bin" "$T/msg.2.bin" "$T/msg.2.bin")
for ((o = 3; o < n; o++)); do files+=("$T/msg.$o.bin"); done
timeout 30 kcat -P -b "$brokers" -t "$copy" "${files[@]}" 2>"$T/copy.err" ||
	fail "kcat could not produce to $copy: $(tail -n 5 "$T/copy.err")"
rc=0
timeout 60 "$CONSUME" -b "$brokers" -t "$copy" --end --check -q >"$T/copy.out" 2>"$T/copy.check" || rc=$?
expect_eq "hostmon-consume --check exit status with a gap and a duplicate" 1 "$rc"
grep -q "first=1 last=$n count=$n gaps=1 duplicates=1$" "$T/copy.check" ||
	fail "expected first=1 last=$n count=$n gaps=1 duplicates=1, got: $(cat "$T/copy.check")"
expect_eq "JSON lines with --quiet" 0 "$(wc -c <"$T/copy.out")"
