#!/bin/bash
# When the output cannot be written (a full disk: /dev/full), hostmond says so
# on stderr naming the path, keeps running, and still stops cleanly.
. "$(dirname "$0")/lib.sh"

write_config <<EOF_CONF
[agent]
interval = 1
host_id = hostmon-test
EOF_CONF
"$HOSTMOND" --config "$CONF" --output jsonl:/dev/full 2>"$AGENT_LOG" &
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
log=$(cat "$AGENT_LOG")
[[ "$log" == *"/dev/full failed: No space left on device"* ]] ||
	fail "stderr does not report the failed writes to /dev/full: $log"
[[ "$log" =~ ([0-9]+)\ lines\ lost\ so\ far ]] || fail "stderr does not count lost lines: $log"
expect_cmp "lines reported lost" "${BASH_REMATCH[1]}" -ge 1
