#!/bin/bash
# Every record's values in Kafka equal its JSON line's, field by field, matched
# by seq: crashes (one of them signalled by another process), refused TCP
# (IPv4, IPv6) and UDP connections, slow syscalls with and without an error,
# metrics windows and agent_status, decoded from the topic by hostmon-consume.
# The fields whose representation differs (enum names, nulls, names, nesting)
# are listed and normalised in tests/helpers/envelope_vs_jsonl.py, only those.
# hostmon-consume --format jsonl prints the topic back as the very lines
# hostmond wrote (one writer for both).
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/crasher"
require_file "$HELPERS/netpeer"
require_file "$HELPERS/getppid_loop"
CONSUME=$BUILD/hostmon-consume
require_file "$CONSUME"
command -v python3 >/dev/null || fail "python3 not found (it compares 64-bit integers exactly; jq 1.6 cannot)"
PORT=9	# discard: nothing listens on it here

kafka_start values

# Every getppid and kill call is a slow_syscall: kill to a pid that does not
# exist gives one with ret -3 and "error": "ESRCH". The highest CPU budget,
# so that other processes' getppid storms on a shared host do not make the
# agent shed the events this test counts.
write_config <<-EOF
	[agent]
	interval = 1
	host_id = hostmon-test
	max_cpu_percent = 100
	[syscalls]
	include = getppid,kill
	slow_threshold_us = 0
	sample_above = 0
EOF
AGENT_ARGS=(--kafka-brokers "$BROKERS" --kafka-topic "$TOPIC")
agent_start syscalls proc net
"$HELPERS/crasher" segv &
crash_pid=$!
track "$crash_pid"
wait_child "$crash_pid" 10
sleep 30 &
killed_pid=$!
track "$killed_pid"
# Signal it as `sleep`, not as the shell that forked it.
wait_comm "$killed_pid" sleep
kill -SEGV "$killed_pid"
wait_child "$killed_pid" 10
read -r pid4 _ < <("$HELPERS/netpeer" connect 127.0.0.1 "$PORT")
read -r pid6 _ < <("$HELPERS/netpeer" connect ::1 "$PORT")
read -r pidu _ < <("$HELPERS/netpeer" udp 127.0.0.1 "$PORT")
"$HELPERS/getppid_loop" 5 &
loop_pid=$!
wait_child "$loop_pid" 10
kill -0 2147483646 2>/dev/null && fail "pid 2147483646 exists"
nap 2.5
agent_stop 13	# the final deliveries may wait on a slow broker
grep -q 'component=kafka msg="[0-9]* records delivered, 0 lost' "$AGENT_LOG" ||
	fail "hostmond did not report every record delivered: $(grep 'component=kafka' "$AGENT_LOG" | tail -n 5)"

# The activity is in the JSON lines, with the fields the comparison must cover.
ev=$(one_event process_crash ".pid == $killed_pid")
expect_field "$ev" .sender_pid $$
one_event process_crash ".pid == $crash_pid and (has(\"sender_pid\") | not)" >/dev/null
for pid in "$pid4" "$pid6" "$pidu"; do
	one_event conn_error ".pid == $pid and .kind == \"refused\"" >/dev/null
done
expect_cmp "slow getppid calls of getppid_loop" \
	"$(count_events slow_syscall ".pid == $loop_pid and .syscall == \"getppid\" and (has(\"error\") | not)")" -eq 5
expect_cmp "slow kill calls failing with ESRCH" \
	"$(count_events slow_syscall ".syscall == \"kill\" and .error == \"ESRCH\" and .ret == -3")" -ge 1
expect_cmp "metrics windows" "$(count_events metrics)" -ge 2
expect_cmp "metrics windows with a kill errno count" \
	"$(count_events metrics '[.syscalls[]? | select(.errnos.ESRCH > 0)] | length > 0')" -ge 1
expect_cmp "metrics windows with a refused endpoint" \
	"$(count_events metrics "[.connections.endpoints[]? | select(.port == $PORT)] | length > 0")" -ge 1

rc=0
timeout 60 "$CONSUME" -b "$BROKERS" -t "$TOPIC" --end --check >"$T/consume.jsonl" 2>"$T/consume.err" || rc=$?
expect_eq "hostmon-consume --check exit status (stderr: $(tail -n 3 "$T/consume.err"))" 0 "$rc"
version=$("$HOSTMOND" --version | awk 'NR == 1 {print $2}')
rc=0
python3 "$ROOT/tests/helpers/envelope_vs_jsonl.py" "$OUT" "$T/consume.jsonl" "$version" >"$T/compare" 2>&1 || rc=$?
((rc == 0)) || fail "Kafka envelopes differ from the JSON lines:
$(head -n 40 "$T/compare")"
cat "$T/compare"

# hostmon-consume --format jsonl writes with the agent's own writer
# (agent/record/pbjson.c): what it prints from the topic is, line for line, the text
# hostmond wrote to its JSON lines.
rc=0
timeout 60 "$CONSUME" -b "$BROKERS" -t "$TOPIC" --end --format jsonl >"$T/consume-lines.jsonl" \
	2>"$T/consume-lines.err" || rc=$?
expect_eq "hostmon-consume --format jsonl exit status (stderr: $(tail -n 3 "$T/consume-lines.err"))" 0 "$rc"
expect_eq "records in the topic and lines in the output" "$(wc -l <"$OUT")" "$(wc -l <"$T/consume-lines.jsonl")"
if ! cmp -s "$OUT" "$T/consume-lines.jsonl"; then
	line=$(cmp "$OUT" "$T/consume-lines.jsonl" | awk '{print $NF}')
	fail "line $line differs: hostmond wrote
$(sed -n "${line}p" "$OUT" | cut -c1-400)
hostmon-consume --format jsonl printed
$(sed -n "${line}p" "$T/consume-lines.jsonl" | cut -c1-400)"
fi
