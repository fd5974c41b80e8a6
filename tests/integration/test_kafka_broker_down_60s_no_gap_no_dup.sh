#!/bin/bash
# A steady stream of records (a slow_syscall event for every getppid call,
# slow_threshold_us = 0) while the broker is stopped for 60 s and started
# again: delivery resumes within 10 s of the broker's return (the topic's
# high watermark moves), and once hostmond stops the topic holds every JSON
# line's record, one instance, no gap and no duplicate (build/hostmon-consume
# --check), and nothing was counted lost. The broker is a private one of this
# test (its own ports and data directory), so stopping it disturbs no one.
. "$(dirname "$0")/lib.sh"
require_root
require_file "$HELPERS/getppid_loop"
require_file "$BUILD/hostmon-consume"

PRIVATE_PORT=19392
private_broker_start
brokers=$PRIVATE_BROKERS
topic=hostmon-test-outage

# The topic's high watermark (records stored in partition 0), or empty.
watermark() {
	kcat -b "$brokers" -Q -t "$topic:0:-1" -m 5 2>/dev/null | awk '{ print $NF }'
}

# The stream must not depend on the agent's CPU: a brownout (over 2% of a
# core on a loaded machine, or under the sanitizers) would shed it.
printf '[agent]\ninterval = 1\nhost_id = hostmon-test\nmax_cpu_percent = 100\n[syscalls]\ninclude = getppid\nslow_threshold_us = 0\nsample_above = 0\n' |
	write_config
AGENT_ARGS=(--kafka-brokers "$brokers" --kafka-topic "$topic")
agent_start syscalls
# About 200 records a second until the end of the test.
(while :; do "$HELPERS/getppid_loop" 20; sleep 0.1; done) &
track $!
nap 3
private_kafka stop >"$T/stop.out" 2>&1 || fail "tools/kafka-local stop: $(tail -n 5 "$T/stop.out")"
down_from=$(q 'length')
nap 60
private_kafka start >"$T/start2.out" 2>"$T/start2.err" ||
	fail "tools/kafka-local start (again) failed: $(tail -n 20 "$T/start2.err")"
back=$(date +%s%N)
down_to=$(q 'length')
before=$(watermark)
[[ $before =~ ^[0-9]+$ ]] || fail "no high watermark for $topic after the restart: '$before'"
resumed=
for ((i = 0; i < 150; i++)); do
	now=$(watermark)
	if [[ $now =~ ^[0-9]+$ ]] && ((now > before)); then
		resumed=$((($(date +%s%N) - back) / 1000000))
		break
	fi
	nap 0.1
done
[[ -n $resumed ]] || fail "the topic's high watermark stayed at $before for 15 s after the broker's return"
expect_cmp "ms from the broker's return to the first delivery" "$resumed" -le 10000
expect_cmp "records emitted while the broker was down" "$((down_to - down_from))" -ge 6000
nap 5
agent_stop 13	# the final deliveries may wait on a slow broker
grep -q 'component=kafka msg="[0-9]* records delivered, 0 lost' "$AGENT_LOG" ||
	fail "hostmond did not report every record delivered: $(grep 'component=kafka' "$AGENT_LOG" | grep -v level=debug | tail -n 5)"
# Records emitted while the broker was away waited a minute for it: the
# windows' delivery latency shows it; every acknowledgement was timed.
max_lat=$(q '[.[] | select(.type == "metrics") | .kafka.delivery_latency.max_ns] | max')
expect_cmp "largest delivery latency (ns) over the windows" "$max_lat" -ge 55000000000
expect_cmp "acknowledgements timed over the windows" \
	"$(q '[.[] | select(.type == "metrics") | .kafka.delivery_latency.count] | add')" -ge "$((down_to - down_from))"
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
echo "ok: $n records, $((down_to - down_from)) of them emitted with the broker down, delivery resumed ${resumed} ms after the broker's return"
