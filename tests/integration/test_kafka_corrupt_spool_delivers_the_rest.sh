#!/bin/bash
# A spool written by hostmond with the broker unreachable, then damaged: one
# bit flipped in a record's payload (first segment), one bit flipped in a
# record header's magic (second segment), the last record of the last segment
# cut mid-payload (a torn write). hostmond started on it with the real broker
# starts, logs each damaged place with file and offset, counts 3 in
# drops.agent.spool_corrupt, and delivers every other spooled record: the
# first run's seqs in the topic are exactly its JSON lines' minus the three
# damaged records (after a bad header the reader goes on at the next intact
# record, so the rest of that segment is delivered).
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/crasher"
CONSUME=$BUILD/hostmon-consume
require_file "$CONSUME"
command -v python3 >/dev/null || fail "python3 not found (reads the spool segments)"
SPOOL_RECORDS=$ROOT/tests/helpers/spool_records.py

kafka_start corrupt

# Small records only (crashes, windows of one syscall, no endpoints), in
# 8 KiB segments (1/16 of the 128 KiB bound), far below the bound: no eviction.
write_config <<-EOF
	[agent]
	interval = 1
	host_id = hostmon-test
	spool_max_bytes = 131072
	[syscalls]
	include = getppid
	[net]
	enabled = false
EOF

# First run: port 1 on loopback refuses, so every record stays in the spool.
AGENT_ARGS=(--kafka-brokers 127.0.0.1:1 --kafka-topic "$TOPIC")
agent_start proc
(for ((i = 0; i < 80; i++)); do "$HELPERS/crasher" segv || true; done) 2>/dev/null
nap 1.5
kill -TERM "$AGENT_PID"
wait_child "$AGENT_PID" 20
AGENT_PID=
expect_eq "first run's exit status after SIGTERM" 0 "$CHILD_RC"
expect_eq "first run's windows with drops.agent.spool_evicted 0" \
	"$(count_events metrics)" "$(count_events metrics '.drops.agent.spool_evicted == 0')"
first_instance=$(grep -o 'as instance [0-9a-f-]*' "$AGENT_LOG" | cut -d' ' -f3)
[[ -n $first_instance ]] || fail "first run logged no instance id"
mv "$OUT" "$T/first.jsonl"
mv "$AGENT_LOG" "$T/first.log"

"$SPOOL_RECORDS" "$SPOOL" >"$T/records" || fail "the first run's spool does not check out"
expect_eq "seqs in the spool, in order, vs the first run's JSON lines" \
	"$(jq -r .seq "$T/first.jsonl" | tr '\n' ' ')" "$(cut -d' ' -f4 "$T/records" | tr '\n' ' ')"
mapfile -t segs < <(cut -d' ' -f1 "$T/records" | uniq)
expect_cmp "spool segments" "${#segs[@]}" -ge 3
for seg in "${segs[0]}" "${segs[1]}"; do
	expect_cmp "records in $seg" "$(grep -c "^$seg " "$T/records")" -ge 3
done

# flip FILE BYTE_OFFSET: inverts the lowest bit of one byte in place.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# The second record of a segment: SEGMENT OFFSET LEN SEQ.
second_record() {
	grep "^$1 " "$T/records" | sed -n 2p
}

# The agent writes "HMS2" records: a 32-byte header before each payload.
hdr=32
read -r seg_a off_a len_a seq_a < <(second_record "${segs[0]}")
flip "$seg_a" $((off_a + hdr + len_a / 2))
read -r seg_b off_b _ seq_b < <(second_record "${segs[1]}")
flip "$seg_b" "$off_b"
expect_eq "magic after the flip" IMS2 "$(dd if="$seg_b" bs=1 skip="$off_b" count=4 status=none)"
read -r seg_c off_c len_c seq_c < <(tail -n 1 "$T/records")
truncate -s $((off_c + hdr + len_c / 2)) "$seg_c"
# Lost: the three damaged records, nothing else.
lost=$(printf '%s\n' "$seq_a" "$seq_b" "$seq_c" | sort -n)
n_lost=$(wc -l <<<"$lost")
expect_eq "records damaged" 3 "$n_lost"
expect_cmp "records after the bad magic in its segment (delivered all the same)" \
	"$(awk -v s="$seg_b" -v q="$seq_b" '$1 == s && $4 > q' "$T/records" | wc -l)" -ge 1

# Second run on the damaged spool, the real broker.
AGENT_ARGS=(--kafka-brokers "$BROKERS" --kafka-topic "$TOPIC")
agent_start proc
nap 2.5
agent_stop 13	# the final deliveries may wait on a slow broker
grep -q 'component=kafka msg="[0-9]* records delivered, 0 lost' "$AGENT_LOG" ||
	fail "second run did not deliver everything: $(grep 'component=kafka' "$AGENT_LOG" | grep -v level=debug | tail -n 5)"
for damage in "$seg_a at offset $off_a: CRC mismatch" \
	"$seg_b at offset $off_b: bad record header, skipped to the next intact record" \
	"$seg_c at offset $off_c: bad record header or truncated record, nothing intact after it"; do
	grep -qF "component=spool code=HM402 msg=\"$damage: skipped" "$AGENT_LOG" ||
		fail "no log line for '$damage': $(grep 'component=spool' "$AGENT_LOG" | tail -n 5)"
done
expect_eq "drops.agent.spool_corrupt summed over the second run's windows" 3 \
	"$(sum_metric drops agent spool_corrupt)"

rc=0
timeout 120 "$CONSUME" -b "$BROKERS" -t "$TOPIC" --end >"$T/topic.jsonl" 2>"$T/consume.err" || rc=$?
expect_eq "hostmon-consume exit status ($(tail -n 3 "$T/consume.err"))" 0 "$rc"
expected=$(jq -r .seq "$T/first.jsonl" | grep -vxF -f <(echo "$lost") | tr '\n' ' ')
got=$(jq -r --arg i "$first_instance" 'select(.instance_id == $i) | .seq' "$T/topic.jsonl" | tr '\n' ' ')
expect_eq "first run's seqs in $TOPIC (all but the $n_lost damaged: $(echo $lost))" "$expected" "$got"
n2=$(q length)
expect_eq "second run's seqs in $TOPIC" "$(seq -s ' ' 1 "$n2") " \
	"$(jq -r --arg i "$first_instance" 'select(.instance_id != $i) | .seq' "$T/topic.jsonl" | tr '\n' ' ')"
expect_eq "segments left in the spool, every good record delivered" 0 \
	"$(ls "$SPOOL"/*.seg 2>/dev/null | wc -l)"
echo "ok: $(wc -w <<<"$expected") of $(wc -l <"$T/records") spooled records delivered, lost $(echo $lost)"
