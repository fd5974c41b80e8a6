#!/bin/bash
# With [agent] ring_flush_ms = 300, a conn_error event does not wake the agent
# (BPF_RB_NO_WAKEUP below the pending-bytes threshold): each of 5 refused
# connects is read within 300 ms + 200 ms of the event, and some wait (one
# at least over 20 ms: read on the timer, not at once); each of 5 crashes
# wakes it at once (read within 150 ms of the crash, half the flush timer).
# Times: when the record's line appeared in the output (its length polled
# every few ms) minus the record's ts_ns, the kernel's time of the event,
# which is checked to lie between the process's start and that line.
# (Measured from the event, not from the process's start: a fork and exec
# on a loaded machine are not the agent's latency.)
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/netpeer"
require_file "$HELPERS/crasher"

write_config <<-EOF
	[agent]
	interval = 60
	host_id = hostmon-test
	ring_flush_ms = 300
EOF
agent_start net proc
# The output's length, with the time, every ~5 ms: when each record was written.
# The time is taken after the count: a line counted was written by then.
(while :; do n=$(wc -l <"$OUT"); echo "$(date +%s%N) $n"; sleep 0.005; done) >"$T/lines" 2>/dev/null &
track $!
nap 0.5
: >"$T/starts"
for i in 1 2 3 4 5; do
	t0=$(date +%s%N)
	read -r pid err < <("$HELPERS/netpeer" connect 127.0.0.1 9)
	expect_eq "connect errno the helper saw" 111 "$err"
	echo "conn_error $pid $t0" >>"$T/starts"
	nap 0.7
	t0=$(date +%s%N)
	"$HELPERS/crasher" segv 2>/dev/null &
	pid=$!
	track "$pid"
	wait_child "$pid" 10
	echo "process_crash $pid $t0" >>"$T/starts"
	nap 0.7
done
agent_stop

max_conn=0
while read -r type pid t0; do
	ev=$(one_event "$type" ".pid == $pid")
	# ts_ns has 19 digits: taken as text, not through jq's doubles.
	line=$(grep -n "\"seq\":$(field "$ev" .seq),\"ts_ns\":" "$OUT" | cut -d: -f1)
	ts=$(sed -n "${line}p" "$OUT" | grep -o '"ts_ns":[0-9]*' | cut -d: -f2)
	written=$(awk -v l="$line" '$2 >= l { print $1; exit }' "$T/lines")
	[[ -n "$written" ]] || fail "$type of pid $pid: line $line never seen written"
	expect_cmp "$type of pid $pid: ts_ns (the kernel's time) after the process started" "$ts" -ge "$t0"
	expect_cmp "$type of pid $pid: ts_ns before its line was written" "$ts" -le "$written"
	ms=$(((written - ts) / 1000000))
	if [[ $type == conn_error ]]; then
		expect_cmp "ms from the refused connect to the agent reading its conn_error (pid $pid)" "$ms" -le 500
		((ms > max_conn)) && max_conn=$ms
	else
		expect_cmp "ms from the crash to the agent reading it (pid $pid)" "$ms" -le 150
	fi
done <"$T/starts"
expect_cmp "longest ms a conn_error waited to be read (some wait for the timer)" "$max_conn" -gt 20
