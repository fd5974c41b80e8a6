#!/bin/bash
# hostmon-consume --spool reads what hostmond spooled while Kafka was
# unreachable through the agent's own format module: from the spool
# directory, --format jsonl prints the very JSON lines the agent wrote (one
# record each, as many as lib.sh's spool_records counts), the default format
# the same seqs in the same order, and --check finds no gap. In a copy with
# one payload byte flipped, that record is named on stderr by file and offset
# as a CRC mismatch, every other record is still printed, and the exit status
# is 1; a segment file cut inside its last record names that record as
# truncated, likewise.
. "$(dirname "$0")/lib.sh"
CONSUME=$BUILD/hostmon-consume
require_file "$CONSUME"

one_second_windows
# Port 1 on loopback: connection refused, so every record stays in the spool.
AGENT_ARGS=(--kafka-brokers 127.0.0.1:1 --kafka-topic hostmon-test-consume-spool)
agent_start proc
nap 2.5
# Not agent_stop: the delivery wait alone takes 10 s.
kill -TERM "$AGENT_PID"
wait_child "$AGENT_PID" 20
AGENT_PID=
expect_eq "hostmond exit status after SIGTERM" 0 "$CHILD_RC"
n=$(wc -l <"$OUT")
expect_cmp "JSON lines written while Kafka was unreachable" "$n" -ge 3
expect_eq "records in the spool (lib.sh spool_records)" "$n" "$(spool_records "$SPOOL")"

# consume ARGS...: hostmon-consume's stdout in $T/c.out, stderr in $T/c.err, exit status in RC.
consume() {
	RC=0
	timeout 60 "$CONSUME" "$@" >"$T/c.out" 2>"$T/c.err" || RC=$?
}

consume --spool "$SPOOL" --format jsonl
expect_eq "exit status of --spool DIR --format jsonl (stderr: $(head -c 300 "$T/c.err"))" 0 "$RC"
[[ ! -s "$T/c.err" ]] || fail "--spool DIR on an intact spool wrote to stderr: $(head -c 300 "$T/c.err")"
cmp -s "$OUT" "$T/c.out" ||
	fail "--spool --format jsonl differs from hostmond's JSON lines: $(diff "$OUT" "$T/c.out" | head -c 600)"

consume --spool "$SPOOL" --check
expect_eq "exit status of --spool DIR --check (stderr: $(tail -c 300 "$T/c.err"))" 0 "$RC"
expect_eq "lines printed in the default format" "$n" "$(wc -l <"$T/c.out")"
expect_eq "seqs in the default format, in order" "$(jq -r .seq "$OUT" | paste -sd,)" \
	"$(jq -r .seq "$T/c.out" | paste -sd,)"
grep -q " records=$n undecodable=0 result=ok$" "$T/c.err" ||
	fail "--check summary: expected records=$n undecodable=0 result=ok, got: $(tail -n 1 "$T/c.err")"

# The first segment copied, its second record's first payload byte flipped.
mkdir "$T/copy"
cp "$SPOOL"/*.seg "$T/copy/"
seg=$(ls "$T"/copy/*.seg | head -n 1)
expect_eq "magic of the first record of $seg" HMS2 "$(head -c 4 "$seg")"
len=$(od -An -tu4 -j 4 -N4 "$seg" | tr -d ' ')
off=$((32 + len))
byte=$(od -An -tu1 -j $((off + 32)) -N1 "$seg" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 0x55)))" | dd of="$seg" bs=1 seek=$((off + 32)) conv=notrunc status=none
consume --spool "$T/copy" --format jsonl
expect_eq "exit status of --spool with a corrupt record" 1 "$RC"
grep -qx "hostmon-consume: $seg offset $off: corrupt record: CRC mismatch: skipped" "$T/c.err" ||
	fail "stderr does not name $seg offset $off as a CRC mismatch: $(head -c 400 "$T/c.err")"
grep -q "^hostmon-consume: $T/copy: 1 corrupt records skipped, $((n - 1)) records read$" "$T/c.err" ||
	fail "no summary of 1 corrupt record and $((n - 1)) read: $(tail -c 300 "$T/c.err")"
cmp -s <(sed 2d "$OUT") "$T/c.out" ||
	fail "with record 2 corrupt, the output is not the JSON lines without line 2: $(diff <(sed 2d "$OUT") "$T/c.out" | head -c 600)"

# A segment file cut inside its last record: that record named as truncated, the rest printed.
seg=$(ls "$SPOOL"/*.seg | tail -n 1)
size=$(stat -c %s "$seg")
records=0
off=0
while ((off < size)); do
	last=$off
	off=$((off + 32 + $(od -An -tu4 -j $((off + 4)) -N4 "$seg" | tr -d ' ')))
	records=$((records + 1))
done
head -c $((size - 3)) "$seg" >"$T/cut.seg"
consume --spool "$T/cut.seg" --format jsonl
expect_eq "exit status of --spool on a cut segment file" 1 "$RC"
grep -qx "hostmon-consume: $T/cut.seg offset $last: corrupt record: bad record header or truncated record, nothing intact after it: skipped" "$T/c.err" ||
	fail "stderr does not name $T/cut.seg offset $last as truncated: $(head -c 400 "$T/c.err")"
expect_eq "records printed from the cut segment (all but its last)" $((records - 1)) "$(wc -l <"$T/c.out")"
