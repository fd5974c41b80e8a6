#!/bin/bash
# Stats socket under load: requests per second to /stats and /metrics while a
# getppid storm runs on one core, and hostmond's CPU time per 1,000 scrapes.
# Usage: tests/bench/scrape_rate.sh BUILD_DIR [REQUESTS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
n=${2:-5000}
tmp=$(mktemp -d /tmp/hostmon-bench.XXXXXX)
sock=$tmp/hostmon.sock
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait; rm -rf "$tmp"' EXIT

cpu_ms() {    # utime + stime of PID in ms
	local f
	read -ra f <"/proc/$1/stat"
	# Fields after "(comm)": utime and stime are the 14th and 15th of the line.
	echo $(( (f[13] + f[14]) * 1000 / $(getconf CLK_TCK) ))
}

"$build/hostmond" --interval 1 --output jsonl:/dev/null --socket "$sock" --log-level warn &
agent=$!
pids+=("$agent")
for ((i = 0; i < 100; i++)); do [[ -S "$sock" ]] && break; sleep 0.1; done
"$build/helpers/getppid_loop" 4000000000 &
pids+=("$!")
sleep 2.5    # a few windows, so /stats and /metrics have their usual size
"$build/bench/scrape_client" "$sock" /health 100 >/dev/null    # warm-up
for path in /stats "/stats?top=10" /metrics; do
	before=$(cpu_ms "$agent")
	"$build/bench/scrape_client" "$sock" "$path" "$n"
	after=$(cpu_ms "$agent")
	awk -v p="$path" -v ms=$((after - before)) -v n="$n" 'BEGIN {
		printf "%-14s hostmond CPU: %d ms for %d scrapes = %.1f ms per 1,000 scrapes\n",
			p, ms, n, ms * 1000 / n }'

done
