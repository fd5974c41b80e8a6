#!/bin/bash
# make soak: hostmond with Kafka attached under SOAK_SECONDS (default 600) of a
# getppid storm, a stream of refused connects and a crash every 5 s. Reports
# the agent's CPU (percent of one core) against its budget, its RSS after the
# warm-up (SOAK_WARMUP, default 60 s) and at the end, every drop counter that
# moved, crashes made against crashes reported, and the Kafka stream checked
# for gaps and duplicates, the delivery latency p95 (kernel timestamp to the
# broker's acknowledgement) and the agent's own warnings and errors by code.
# Goals (issue 6): RSS growth under 1 MB after the
# warm-up, no drop that is not counted, CPU within the budget.
# Usage: tests/bench/soak.sh [BUILD_DIR]; needs root, uses tools/kafka-local.
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${SOAK_SECONDS:-600}
warm=${SOAK_WARMUP:-60}
budget=${SOAK_CPU_PERCENT:-2}
helpers=$build/helpers
T=$(mktemp -d /tmp/hostmon-soak.XXXXXX)
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	[[ -n ${agent:-} ]] && kill -9 "$agent" 2>/dev/null
	wait 2>/dev/null || true
	[[ -n ${SOAK_KEEP:-} ]] || rm -rf "$T"
}
trap cleanup EXIT

die() {
	echo "soak: $*" >&2
	exit 1
}

[[ $(id -u) == 0 ]] || die "needs root (BPF)"
((secs > warm)) || die "SOAK_SECONDS ($secs) must exceed SOAK_WARMUP ($warm)"
for b in "$build/hostmond" "$build/hostmon-consume" "$helpers/getppid_loop" "$helpers/netpeer" \
	"$helpers/crasher"; do
	[[ -x $b ]] || die "$b missing (make all integration)"
done
brokers=$("$root/tools/kafka-local" start 2>"$T/kafka.err" | tail -n 1) ||
	die "tools/kafka-local start: $(tail -n 5 "$T/kafka.err")"
topic=hostmon-soak-$$-$RANDOM

printf '[agent]\ninterval = 10\nhost_id = hostmon-soak\nmax_cpu_percent = %s\n' "$budget" >"$T/hostmon.ini"
"$build/hostmond" --config "$T/hostmon.ini" --output "jsonl:$T/out.jsonl" --socket "$T/sock" \
	--spool-dir "$T/spool" --kafka-brokers "$brokers" --kafka-topic "$topic" 2>"$T/hostmond.log" &
agent=$!
sleep 3
kill -0 "$agent" 2>/dev/null || die "hostmond exited: $(tail -n 5 "$T/hostmond.log")"

end=$((SECONDS + secs))
(while ((SECONDS < end)); do "$helpers/getppid_loop" 1000000; done) &
pids+=($!)
(while ((SECONDS < end)); do "$helpers/netpeer" connect 127.0.0.1 9 >/dev/null; sleep 0.01; done) &
pids+=($!)
(while ((SECONDS < end)); do
	"$helpers/crasher" segv >/dev/null 2>&1 && true
	echo crash >>"$T/crashes"
	sleep 5
done) 2>/dev/null &
pids+=($!)

ticks() { awk '{ print $14 + $15 }' "/proc/$agent/stat"; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$agent/status"; }
hz=$(getconf CLK_TCK)
start_ticks=$(ticks)
start_s=$SECONDS
echo "soak: $secs s, warm-up $warm s, budget ${budget}% of a core, topic $topic"
sleep "$warm"
rss_warm=$(rss_kb)
warm_ticks=$(ticks)
warm_s=$SECONDS
rss_max=$rss_warm
while ((SECONDS < end)); do
	sleep 10
	r=$(rss_kb)
	((r > rss_max)) && rss_max=$r
	echo "soak: t=$((SECONDS - start_s)) s rss=${r} kB cpu so far $(awk -v t="$(($(ticks) - start_ticks))" \
		-v hz="$hz" -v s="$((SECONDS - start_s))" 'BEGIN { printf "%.2f", 100 * t / hz / s }')%"
done
for p in "${pids[@]}"; do
	wait "$p" 2>/dev/null || true
done
pids=()
rss_end=$(rss_kb)
end_ticks=$(ticks)
end_s=$SECONDS
sleep 12 # the last window closes, Kafka catches up
kill -TERM "$agent"
wait "$agent" || die "hostmond exited with status $? after SIGTERM"
agent=

cpu_all=$(awk -v t="$((end_ticks - start_ticks))" -v hz="$hz" -v s="$((end_s - start_s))" \
	'BEGIN { printf "%.2f", 100 * t / hz / s }')
cpu_steady=$(awk -v t="$((end_ticks - warm_ticks))" -v hz="$hz" -v s="$((end_s - warm_s))" \
	'BEGIN { printf "%.2f", 100 * t / hz / s }')
made=$(wc -l <"$T/crashes")
seen=$(jq -s '[.[] | select(.type == "process_crash" and .comm == "crasher")] | length' "$T/out.jsonl")
records=$(wc -l <"$T/out.jsonl")
rc=0
timeout 300 "$build/hostmon-consume" -b "$brokers" -t "$topic" --end --check -q >/dev/null \
	2>"$T/check" || rc=$?

echo "== soak results ($secs s, $(nproc) CPUs)"
echo "cpu: ${cpu_all}% of one core over the run, ${cpu_steady}% after the warm-up (budget ${budget}%)"
echo "rss: ${rss_warm} kB after the warm-up, ${rss_end} kB at the end (max ${rss_max} kB): growth $((rss_end - rss_warm)) kB (goal < 1024)"
echo "crashes: $made made, $seen process_crash records for crasher"
echo "drops (summed over windows, non-zero only):"
jq -rs '[.[] | select(.type == "metrics") | .drops | to_entries[] | .key as $f |
	.value | to_entries[] | {k: "\($f).\(.key)", v: .value}] | group_by(.k) |
	map({k: .[0].k, v: (map(.v) | add)}) | .[] | select(.v > 0) | "  \(.k) \(.v)"' "$T/out.jsonl"
echo "brownout changes: $(grep -c 'msg="brownout' "$T/hostmond.log" || true)"
# Kernel timestamp to the broker's acknowledgement, per window (kafka.delivery_latency).
jq -rs '[.[] | select(.type == "metrics") | .kafka.delivery_latency // empty | select(.count > 0)] |
	if length == 0 then "delivery latency: no acknowledgement timed" else
	(map(.p95_ns) | sort) as $p | (map(.max_ns) | max) as $m |
	"delivery latency p95 over \(length) windows: median \($p[length / 2 | floor] / 1e6 | . * 10 | round / 10) ms, " +
	"largest \($p[-1] / 1e6 | . * 10 | round / 10) ms; largest single \($m / 1e6 | . * 10 | round / 10) ms" end' \
	"$T/out.jsonl"
echo "agent errors and warnings by code: $(jq -cs '[.[] | select(.type == "metrics")][-1].self.log.by_code // {}' "$T/out.jsonl")"
echo "kafka: $records JSON lines; hostmon-consume --check exit $rc: $(grep '^total' "$T/check" || tail -n 1 "$T/check")"
