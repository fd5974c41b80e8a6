#!/bin/bash
# A steady stream of records (a slow_syscall event for every getppid call,
# slow_threshold_us = 0) while the broker is stopped for 20 s and started
# again: once hostmond stops, the topic holds every JSON line's record, one
# instance, no gap and no duplicate (build/hostmon-consume --check), and
# nothing was counted lost. Restarts tools/kafka-local; leaves it running only
# if it ran before.
. "$(dirname "$0")/lib.sh"
require_root
require_file "$HELPERS/getppid_loop"
require_file "$BUILD/hostmon-consume"

KAFKA_LOCAL=$ROOT/tools/kafka-local
"$KAFKA_LOCAL" status >/dev/null 2>&1 || on_exit "'$KAFKA_LOCAL' stop"
"$KAFKA_LOCAL" start >"$T/start.out" 2>"$T/start.err" ||
	fail "tools/kafka-local start failed: $(tail -n 20 "$T/start.err")"
brokers=$(tail -n 1 "$T/start.out")
topic=hostmon-test-outage-$$-$RANDOM

printf '[agent]\ninterval = 1\nhost_id = hostmon-test\n[syscalls]\ninclude = getppid\nslow_threshold_us = 0\n' |
	write_config
AGENT_ARGS=(--kafka-brokers "$brokers" --kafka-topic "$topic")
agent_start syscalls
# About 200 records a second until the end of the test.
(while :; do "$HELPERS/getppid_loop" 20; sleep 0.1; done) &
track $!
nap 3
"$KAFKA_LOCAL" stop >"$T/stop.out" 2>&1 || fail "tools/kafka-local stop: $(tail -n 5 "$T/stop.out")"
down_from=$(q 'length')
nap 20
"$KAFKA_LOCAL" start >"$T/start2.out" 2>"$T/start2.err" ||
	fail "tools/kafka-local start (again) failed: $(tail -n 20 "$T/start2.err")"
down_to=$(q 'length')
expect_cmp "records emitted while the broker was down" "$((down_to - down_from))" -ge 2000
nap 5
agent_stop
grep -q 'kafka: [0-9]* records delivered, 0 lost' "$AGENT_LOG" ||
	fail "hostmond did not report every record delivered: $(grep 'kafka:' "$AGENT_LOG" | grep -v debug | tail -n 5)"
expect_eq "windows with drops.agent.kafka_lost 0" \
	"$(count_events metrics)" "$(count_events metrics '.drops.agent.kafka_lost == 0')"

n=$(q 'length')
rc=0
timeout 120 "$BUILD/hostmon-consume" -b "$brokers" -t "$topic" --end --check -q \
	>/dev/null 2>"$T/check" || rc=$?
expect_eq "hostmon-consume --check exit status ($(tail -n 3 "$T/check"))" 0 "$rc"
expect_eq "instances in $topic" 1 "$(grep -c '^instance ' "$T/check")"
grep -q "^instance .* first=1 last=$n count=$n gaps=0 duplicates=0$" "$T/check" ||
	fail "expected first=1 last=$n count=$n gaps=0 duplicates=0, got: $(grep '^instance ' "$T/check")"
echo "ok: $n records, $((down_to - down_from)) of them emitted with the broker down"
