#!/bin/bash
# hostmond's CPU per 1,000 isolated conn_error events, the ring buffers read
# on every event ([agent] ring_flush_ms = 0) against read on the default
# 100 ms timer with wakeups only past a byte threshold, alternating A B A B in
# one run, medians. Load: refused connects to 127.0.0.1:9 at RATE per second
# for SECONDS from one process; output to a JSON-lines file, no Kafka,
# max_cpu_percent = 100 and no [net] events_per_sec cap (neither the brownout
# nor other load on the host may take events from what is measured). CPU: all
# of hostmond's threads (schedstat), from 1 s after start to 0.5 s after the
# load; wakeups: its event loop's voluntary context switches.
# Usage: tests/bench/ring_wakeups.sh BUILD_DIR [ROUNDS [RATE [SECONDS]]]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
rounds=${2:-3}
rate=${3:-200}
secs=${4:-20}
tmp=$(mktemp -d /tmp/hostmon-bench.XXXXXX)
agent=
trap '[[ -n $agent ]] && kill "$agent" 2>/dev/null; wait; [[ -n ${KEEP_TMP:-} ]] || rm -rf "$tmp"' EXIT

cpu_ns() {	# CPU time of all of PID's threads, ns (schedstat: exact, not in clock ticks)
	cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%d\n", s }'
}

switches() {	# voluntary context switches of PID's main thread: its wakeups
	awk '$1 == "voluntary_ctxt_switches:" { print $2 }' "/proc/$1/task/$1/status"
}

# round FLUSH_MS: prints "cpu_ms_per_1000 wakeups_per_1000 events connects"
round() {
	cat >"$tmp/hostmon.ini" <<-EOF
		[agent]
		interval = 60
		host_id = bench
		max_cpu_percent = 100
		ring_flush_ms = $1
		[net]
		events_per_sec = 0
	EOF
	rm -f "$tmp/out.jsonl"
	"$build/hostmond" --config "$tmp/hostmon.ini" --output "jsonl:$tmp/out.jsonl" \
		--socket "$tmp/hostmon.sock" --log-level warn 2>"$tmp/hostmond.log" &
	agent=$!
	for ((i = 0; i < 100; i++)); do
		grep -q '"agent_status"' "$tmp/out.jsonl" 2>/dev/null && break
		sleep 0.1
	done
	sleep 1
	local t0 w0 t1 w1 pid made
	t0=$(cpu_ns "$agent")
	w0=$(switches "$agent")
	python3 - "$rate" "$secs" >"$tmp/load" <<-'EOF'
		import os, socket, sys, time
		rate, secs = int(sys.argv[1]), int(sys.argv[2])
		start, n = time.monotonic(), rate * secs
		for i in range(n):
		    s = socket.socket()
		    s.connect_ex(("127.0.0.1", 9))
		    s.close()
		    pause = start + (i + 1) / rate - time.monotonic()
		    if pause > 0:
		        time.sleep(pause)
		print(os.getpid(), n)
	EOF
	sleep 0.5	# the last events read on the timer
	t1=$(cpu_ns "$agent")
	w1=$(switches "$agent")
	kill -TERM "$agent"
	wait "$agent"
	agent=
	read -r pid made <"$tmp/load"
	local seen
	seen=$(grep -c "^{\"type\":\"conn_error\".*\"pid\":$pid," "$tmp/out.jsonl" || true)
	if [[ $seen != "$made" ]]; then
		echo "ring_wakeups: ring_flush_ms=$1: $made connects made, $seen conn_error events" >&2
		exit 1
	fi
	awk -v t=$((t1 - t0)) -v w=$((w1 - w0)) -v n="$made" \
		'BEGIN { printf "%.1f %.0f %d\n", t / 1e6 * 1000 / n, w * 1000 / n, n }'
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

: >"$tmp/A"
: >"$tmp/B"
for ((r = 1; r <= rounds; r++)); do
	for mode in A B; do
		flush=$([[ $mode == A ]] && echo 0 || echo 100)
		read -r cpu wake n < <(round "$flush")
		echo "$cpu $wake" >>"$tmp/$mode"
		printf 'round %d ring_flush_ms=%-3s %5.1f ms CPU, %5d wakeups per 1,000 events (%d events)\n' \
			"$r" "$flush" "$cpu" "$wake" "$n"
	done
done
a=$(cut -d' ' -f1 "$tmp/A" | median)
b=$(cut -d' ' -f1 "$tmp/B" | median)
aw=$(cut -d' ' -f2 "$tmp/A" | median)
bw=$(cut -d' ' -f2 "$tmp/B" | median)
awk -v a="$a" -v b="$b" -v aw="$aw" -v bw="$bw" 'BEGIN {
	printf "medians: ring_flush_ms=0 %.1f ms CPU, %d wakeups per 1,000 events; ", a, aw
	printf "ring_flush_ms=100 %.1f ms, %d wakeups; ratio %.2f\n", b, bw, b / a }'
