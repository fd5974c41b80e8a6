#!/bin/bash
# hostmond's cost per record with JSON lines only (no Kafka, no spool): CPU
# time per 10,000 records (goal: 5 ms or less) and heap allocation calls per
# record, from bursts of N slow_syscall records (burst.sh) written to a file.
# Rounds alternate plain hostmond (its CPU) and hostmond under the allocation
# counter (tests/bench/alloc_count.c, LD_PRELOAD; every thread's malloc,
# calloc, realloc, posix_memalign and other aligned allocations; its CPU is
# reported too: the counter's own cost), A B A B in one run, medians.
#
# Each round starts a fresh hostmond and waits for two windows (the steady
# state), then reads its CPU (utime + stime of all its threads, exact from
# schedstat: a burst can be a few clock ticks) and the count right before the
# burst and again once the burst's last record is in the file, and divides by
# the burst's records in the file. The windows that close in that time (one
# a second) are in the CPU and the count, not in the divisor. Burst events
# dropped (a full ring buffer; counted in the window's drops.syscalls) are
# reported and not counted.
# Usage: tests/bench/jsonl_cost.sh BUILD_DIR [EVENTS [ROUNDS]]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
n=${2:-100000}
rounds=${3:-5}
tmp=$(mktemp -d /tmp/hostmon-bench.XXXXXX)
agent=
trap '[[ -n $agent ]] && kill -9 "$agent" 2>/dev/null; wait; rm -rf "$tmp"' EXIT
trap 'exit 143' TERM INT
. "$(dirname "$0")/burst.sh"

# agent_start [PAGE]: hostmond, under the allocation counter sharing PAGE if
# one is named; returns once two windows have closed.
agent_start() {
	local i
	counter_prefix "${1:-}"
	burst_config "$tmp/hostmon.ini"
	rm -f "$tmp/out.jsonl"
	"${counter_cmd[@]}" "$build/hostmond" --config "$tmp/hostmon.ini" --output "jsonl:$tmp/out.jsonl" \
		--socket "$tmp/hostmon.sock" --log-level info 2>"$tmp/hostmond.log" &
	agent=$!
	for ((i = 0; i < 300; i++)); do
		(($(windows_closed "$tmp/out.jsonl") >= 2)) && return 0
		sleep 0.1
	done
	echo "jsonl_cost: hostmond closed no two windows within 30 s: $(tail -n 3 "$tmp/hostmond.log")" >&2
	exit 1
}

# round [PAGE]: one burst; "cpu_ms_per_10k allocations_per_record dropped"
# into $tmp/round, allocations "-" when not counted.
round() {
	local page=${1:-} c0 c1 a0= a1=
	agent_start "$page"
	c0=$(cpu_ns "$agent")
	[[ -n $page ]] && a0=$(alloc_calls "$page" "$agent")
	burst "$tmp/out.jsonl"
	c1=$(cpu_ns "$agent")
	[[ -n $page ]] && a1=$(alloc_calls "$page" "$agent")
	agent_stop
	awk -v cpu=$((c1 - c0)) -v a0="$a0" -v a1="$a1" -v got="$burst_got" -v d=$((n - burst_got)) 'BEGIN {
		printf "%.2f %s %d\n", cpu / 1e6 * 10000 / got,
			a0 == "" ? "-" : sprintf("%.2f", (a1 - a0) / got), d }' >"$tmp/round"
}

echo "$n events per round, $rounds rounds (plain, under the allocation counter, alternating)"
for ((r = 1; r <= rounds; r++)); do
	round
	read -r cpu _ drops <"$tmp/round"
	round "$tmp/page"
	read -r shim_cpu allocs shim_drops <"$tmp/round"
	echo "round $r: hostmond CPU $cpu ms per 10k records; under the allocation counter:" \
		"$allocs allocations per record, CPU $shim_cpu ms per 10k;" \
		"burst events dropped $drops and $shim_drops"
	echo "$cpu" >>"$tmp/cpu"
	echo "$allocs" >>"$tmp/allocs"
	echo "$shim_cpu" >>"$tmp/shim_cpu"
done
printf "median: hostmond CPU %.2f ms per 10k records, JSON lines only (goal <= 5); rounds: %s\n" \
	"$(median <"$tmp/cpu")" "$(paste -sd ' ' "$tmp/cpu")"
printf "median: %.2f heap allocations per record, JSON lines only (CPU under the counter %.2f ms per 10k); rounds: %s\n" \
	"$(median <"$tmp/allocs")" "$(median <"$tmp/shim_cpu")" "$(paste -sd ' ' "$tmp/allocs")"
