#!/bin/bash
# With the broker unreachable and spool_max_bytes at its minimum (64 KiB), a
# steady stream overflows the spool: the oldest segments are evicted, every
# evicted record is counted (drops.agent.spool_evicted, summed over windows,
# equals the log's running total) and announced in an agent_status record,
# and the spool never holds more than its bound.
. "$(dirname "$0")/lib.sh"
require_root
require_file "$HELPERS/getppid_loop"

# The stream must not depend on the agent's CPU: a brownout (over 2% of a
# core on a loaded machine, or under the sanitizers) would shed it.
printf '[agent]\ninterval = 1\nhost_id = hostmon-test\nmax_cpu_percent = 100\nspool_max_bytes = 65536\n[syscalls]\ninclude = getppid\nslow_threshold_us = 0\nsample_above = 0\n' |
	write_config
AGENT_ARGS=(--kafka-brokers 127.0.0.1:1 --kafka-topic hostmon-test-spool-full)
agent_start syscalls
(while :; do "$HELPERS/getppid_loop" 20; sleep 0.1; done) &
track $!
max=0
for ((i = 0; i < 40; i++)); do
	nap 0.1
	# Stopped while measured: files read one after another are then one
	# moment's spool, not an evicted segment's old size plus a newer one's.
	kill -STOP "$AGENT_PID"
	used=$(find "$SPOOL" -name '*.seg' -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }')
	kill -CONT "$AGENT_PID"
	((used > max)) && max=$used
done
expect_cmp "most bytes seen in the spool" "$max" -le 65536
# Not agent_stop: the delivery wait takes 10 s.
kill -TERM "$AGENT_PID"
wait_child "$AGENT_PID" 20
AGENT_PID=
expect_eq "hostmond exit status after SIGTERM" 0 "$CHILD_RC"

evicted=$(jq -n '[inputs | select(.type == "metrics") | .drops.agent.spool_evicted] | add' "$OUT")
expect_cmp "records evicted (sum of drops.agent.spool_evicted)" "$evicted" -ge 100
logged=$(grep -o 'records never delivered ([0-9]* evicted so far)' "$AGENT_LOG" | tail -n 1 |
	grep -o '([0-9]*' | tr -d '(')
# The last window may miss evictions after it: the log's total is at least the windows' sum.
expect_cmp "evictions in the log's running total" "${logged:-0}" -ge "$evicted"
statuses=$(count_events agent_status '.reason | startswith("spool full: ")')
expect_cmp "agent_status records announcing evictions" "$statuses" -ge 1
echo "ok: $evicted records evicted in windows, $logged in the log, $statuses agent_status records, at most $max bytes spooled"
