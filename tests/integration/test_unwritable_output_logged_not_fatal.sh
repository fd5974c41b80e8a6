#!/bin/bash
# When the output cannot be written (a full disk: /dev/full), hostmond says so
# on stderr naming the path, keeps running, and still stops cleanly; the
# repeated error shows rate-limited, and the records shown plus the repeats
# they count add up to every failure.
. "$(dirname "$0")/lib.sh"

write_config <<EOF_CONF
[agent]
interval = 1
host_id = hostmon-test
EOF_CONF
"$HOSTMOND" --config "$CONF" --output jsonl:/dev/full --socket "$SOCK" --spool-dir "$SPOOL" \
	2>"$AGENT_LOG" &
AGENT_PID=$!
track "$AGENT_PID"
for ((i = 0; i < 100; i++)); do
	[[ $(cat "$AGENT_LOG") == *"/dev/full failed"* ]] && break
	proc_exited "$AGENT_PID" && fail "hostmond exited on a write error: $(cat "$AGENT_LOG")"
	nap 0.1
done
nap 1.5	# two more windows that cannot be written
proc_exited "$AGENT_PID" && fail "hostmond exited on a write error: $(cat "$AGENT_LOG")"
kill -TERM "$AGENT_PID"
wait_child "$AGENT_PID" 5
AGENT_PID=
expect_eq "hostmond exit status after SIGTERM" 0 "$CHILD_RC"
log_checked "$AGENT_LOG"
log=$(grep ' code=HM310 ' "$AGENT_LOG" || true)
[[ "$log" == *'msg="write to /dev/full failed: No space left on device: lines lost" path=/dev/full errno=ENOSPC lost='* ]] ||
	fail "stderr does not report the failed writes to /dev/full: $(cat "$AGENT_LOG")"
shown=$(grep -c . <<<"$log")
repeats=$(grep -o ' repeated=[0-9]*' <<<"$log" | cut -d= -f2 | paste -sd+ | bc)
# The latest figures: the highest in any record.
failures=$(grep -o ' failures=[0-9]*' <<<"$log" | cut -d= -f2 | sort -n | tail -n 1)
lost=$(grep -o ' lost=[0-9]*' <<<"$log" | cut -d= -f2 | sort -n | tail -n 1)
expect_cmp "lines reported lost" "$lost" -ge 1
expect_cmp "failures (more than one window written)" "$failures" -ge 3
expect_eq "records shown + repeats they count = failures" "$failures" "$((shown + ${repeats:-0}))"
# Within 10 s, per message (a write, a flush): the first, then one carrying the count at exit.
expect_cmp "HM310 records shown" "$shown" -le 4
