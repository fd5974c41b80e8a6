#!/bin/bash
# hostmonctl selftest against a running agent: one PASS line per stage (agent,
# slow_syscall, conn_error, process_crash), exit 0, and each seq it reports is
# a record of that type in the agent's own JSON lines for the pid it names.
# With the net family off the conn_error stage fails and the exit status is 1;
# without an agent the first stage fails. With Kafka a fifth stage checks that
# the broker acknowledged the records: it passes against the real broker
# (the topic then holds those seqs) and fails with the broker unreachable.
. "$(dirname "$0")/lib.sh"
CTL=$BUILD/hostmonctl
require_file "$CTL"

agent_start syscalls proc net
rc=0
"$CTL" --socket "$SOCK" selftest >"$T/st.out" 2>"$T/st.err" || rc=$?
expect_eq "selftest exit status ($(cat "$T/st.out" "$T/st.err"))" 0 "$rc"
expect_eq "PASS lines" 4 "$(grep -c '^PASS ' "$T/st.out")"
grep -q '^selftest: PASS (0 of 4 stages failed)$' "$T/st.out" || fail "no summary line: $(cat "$T/st.out")"
nap 0.5
agent_stop
for stage in slow_syscall conn_error process_crash; do
	line=$(grep "^PASS $stage: " "$T/st.out") || fail "no PASS line for $stage: $(cat "$T/st.out")"
	seq=$(grep -o 'seen as seq [0-9]*' <<<"$line" | grep -o '[0-9]*$')
	pid=$(grep -o 'pid [0-9]*' <<<"$line" | head -n 1 | grep -o '[0-9]*$')
	expect_eq "type of JSON line seq $seq ($line)" "$stage" "$(q -r ".[] | select(.seq == $seq) | .type")"
	expect_eq "pid of JSON line seq $seq" "$pid" "$(q -r ".[] | select(.seq == $seq) | .pid")"
done
expect_eq "syscall of the slow_syscall record" read \
	"$(q -r ".[] | select(.seq == $(grep -o 'slow_syscall.*seq [0-9]*' "$T/st.out" | grep -o '[0-9]*$')) | .syscall")"

# The net family off: the refused connect goes unseen.
printf '[agent]\ninterval = 60\nhost_id = hostmon-test\n[net]\nenabled = false\n' | write_config
: >"$OUT"
agent_start syscalls proc
rc=0
"$CTL" --socket "$SOCK" selftest >"$T/st.out" 2>"$T/st.err" || rc=$?
agent_stop
expect_eq "selftest exit status with net off ($(cat "$T/st.out"))" 1 "$rc"
grep -q '^FAIL conn_error: connect to 127.0.0.1:[0-9]* refused in pid [0-9]*, not seen by the agent within 5000 ms$' \
	"$T/st.out" || fail "expected the conn_error stage to fail: $(cat "$T/st.out")"
expect_eq "PASS lines with net off" 3 "$(grep -c '^PASS ' "$T/st.out")"

# Kafka: the records reached the broker.
kafka_start selftest
printf '[agent]\ninterval = 60\nhost_id = hostmon-test\n' | write_config
: >"$OUT"
AGENT_ARGS=(--kafka-brokers "$BROKERS" --kafka-topic "$TOPIC")
agent_start syscalls proc net
rc=0
"$CTL" --socket "$SOCK" selftest >"$T/st.out" 2>"$T/st.err" || rc=$?
agent_stop
expect_eq "selftest exit status with Kafka ($(cat "$T/st.out"))" 0 "$rc"
grep -q '^PASS kafka: the broker acknowledged every record up to seq [0-9]*' "$T/st.out" ||
	fail "no PASS kafka line: $(cat "$T/st.out")"
grep -q '^selftest: PASS (0 of 5 stages failed)$' "$T/st.out" || fail "no summary of 5 stages: $(cat "$T/st.out")"
crash_seq=$(grep -o 'process_crash.*seen as seq [0-9]*' "$T/st.out" | grep -o '[0-9]*$')
timeout 60 "$BUILD/hostmon-consume" -b "$BROKERS" -t "$TOPIC" --end >"$T/topic.jsonl" 2>"$T/consume.err" ||
	fail "hostmon-consume: $(tail -n 3 "$T/consume.err")"
expect_eq "process_crash records with seq $crash_seq in $TOPIC" 1 \
	"$(jq -c "select(.seq == $crash_seq and .type == \"process_crash\")" "$T/topic.jsonl" | wc -l)"

AGENT_ARGS=(--kafka-brokers 127.0.0.1:1 --kafka-topic "$TOPIC")
: >"$OUT"
agent_start syscalls proc net
rc=0
"$CTL" --socket "$SOCK" selftest >"$T/st.out" 2>"$T/st.err" || rc=$?
agent_stop 20
expect_eq "selftest exit status with the broker unreachable" 1 "$rc"
grep -q '^FAIL kafka: not delivered, acknowledged up to seq 0 of [0-9]* within 15000 ms (sink unreachable' \
	"$T/st.out" || fail "expected the kafka stage to fail: $(cat "$T/st.out")"
AGENT_ARGS=()

# No agent.
rc=0
"$CTL" --socket "$SOCK" selftest >"$T/st.out" 2>"$T/st.err" || rc=$?
expect_eq "selftest exit status without an agent" 1 "$rc"
grep -q "^FAIL agent: no answer on $SOCK$" "$T/st.out" || fail "expected the agent stage to fail: $(cat "$T/st.out")"
echo "ok"
