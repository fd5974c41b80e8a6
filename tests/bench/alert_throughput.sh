#!/bin/bash
# hostmon-alert's throughput on a simulated fleet: hostmon-fleetsim writes
# HOSTS hosts' metrics windows (10 s apart in their timestamps, WINDOWS of
# them, plus a crash loop) back to back into a fresh 4-partition topic on the
# shared broker; then one instance reads it all (a group of its own), then two
# instances in one group read it again. For each: envelopes per second from
# the first record read to the last, CPU time (utime + stime of the
# instances) per 10,000 envelopes, peak RSS, and the fleet size that rate
# keeps up with at one metrics window per host per 10 s (events ride on top:
# a window carries the window's counts, so they are few beside it).
# Everything shares this machine's cores with the broker (and the readers with
# each other): the two-instance figure is bounded by that, not by the group.
# Usage: tests/bench/alert_throughput.sh BUILD_DIR [HOSTS [WINDOWS]]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
hosts=${2:-100000}
windows=${3:-10}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/hostmon-bench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait; rm -rf "$tmp"' EXIT
trap 'exit 143' TERM INT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

metric() { # PORT NAME
	curl -sf "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}

cpu_ticks() { # PID: utime + stime
	local st
	read -r -a st <"/proc/$1/stat"
	echo $((st[13] + st[14]))
}

brokers=$("$root/tools/kafka-local" start 2>/dev/null | tail -n 1)
topic=hostmon-bench-alert-$$
"$build/helpers/kafka_admin" "$brokers" "$topic" 4 >/dev/null
"$build/hostmon-fleetsim" -b "$brokers" -t "$topic" -n "$hosts" -i 10000 -w "$windows" --fast \
	--crash 1:/usr/bin/bench:3@1 >"$tmp/fleetsim.out"
total=$(awk '/^fleetsim produced=/ { sub("produced=", "", $2); print $2 }' "$tmp/fleetsim.out")
echo "fleetsim: $total envelopes ($hosts hosts x $windows windows + 3 crashes) in $topic"

# round NAME INSTANCES: the instances read the whole topic in a group of their own.
round() {
	local name=$1 n=$2 i port ports=() rpids=() group=bench-$$-$1 read=0 t0= t1 c0=0 c1=0 rss=0 r
	for ((i = 0; i < n; i++)); do
		port=$(free_port)
		"$build/hostmon-alert" -b "$brokers" -t "$topic" -g "$group" --by-exe-topic "$topic.by-exe" \
			-a http://127.0.0.1:1 -m "127.0.0.1:$port" --log-level error 2>>"$tmp/alert.log" &
		rpids+=($!)
		pids+=($!)
		ports+=("$port")
	done
	for ((i = 0; i < 6000 && read < total; i++)); do
		read=0
		for port in "${ports[@]}"; do
			r=$(metric "$port" hostmon_alert_records_read_total 2>/dev/null || true)
			read=$((read + ${r:-0}))
		done
		if [[ -z $t0 ]] && ((read > 0)); then
			t0=$(date +%s.%N)
			for p in "${rpids[@]}"; do c0=$((c0 + $(cpu_ticks "$p"))); done
			r0=$read
		fi
		((read < total)) && sleep 0.05
	done
	t1=$(date +%s.%N)
	for p in "${rpids[@]}"; do
		c1=$((c1 + $(cpu_ticks "$p")))
		rss=$((rss + $(awk '/^VmHWM/ { print $2 }' "/proc/$p/status")))
	done
	((read >= total)) || echo "bench: $name read $read of $total within 300 s" >&2
	jq -rn --arg name "$name" --argjson n "$((read - r0))" --argjson s "$(jq -n "$t1 - $t0")" \
		--argjson cpu "$(((c1 - c0) * 1000 / $(getconf CLK_TCK)))" --argjson rss "$rss" \
		'"\($name): \($n) envelopes in \($s * 1000 | round) ms: \($n / $s | round) envelopes/s, " +
		 "CPU \($cpu / $n * 10000 * 100 | round / 100) ms per 10,000 envelopes, peak RSS \($rss / 1024 | round) MiB; " +
		 "keeps up with \($n / $s * 10 | round) hosts at one 10 s window each"'
	for p in "${rpids[@]}"; do kill -TERM "$p"; wait "$p" || true; done
}

round "one instance" 1
round "two instances, one group" 2
"$root/tools/kafka-local" status >/dev/null
