#!/bin/bash
# Kafka delivery: events per second from the kernel's ring buffer to
# acknowledged by the broker, against kcat -P producing as many messages of the
# same size with the agent's producer settings to the same broker; rounds
# alternate agent, kcat, agent under the allocation counter (a fresh topic
# each), medians and their ratio, hostmond's CPU time (utime + stime) per
# 10,000 events and its heap allocation calls per record.
#
# Agent round: a burst of N raw getpgid(0) calls (tests/helpers/syscall_loop;
# getpgid rather than getppid, which other benchmarks storm on a shared host),
# each a slow_syscall event (slow_threshold_us = 0, include = getpgid; no rate
# limit applies to them). The clock runs from the burst's start until the
# topic's high watermark reaches the seq of the burst's last record (one
# partition, offset = seq - 1: the agent's first record is the topic's first
# message). The rate counts every record acknowledged in that time: the
# burst's, other processes' getpgid calls and windows. Burst events dropped
# (N minus those in the JSON lines once a window has drained the ring after
# the burst: a full ring buffer or the brownout's shedding, each counted in
# the window's drops.syscalls) are reported and not counted. kcat round: kcat -P of as many messages of the
# same size, from start to exit (it exits once every message is
# acknowledged); its topic is created beforehand, as the agent's is by its
# first record. Counted round: an agent round under tests/bench/alloc_count.c
# (LD_PRELOAD; every thread's malloc, calloc, realloc, posix_memalign and
# other aligned allocations, librdkafka's among them), read right before the
# burst and once the broker has acknowledged its last record, divided by the
# burst's records (the windows closing meanwhile are counted, not divided by).
# Usage: tests/bench/kafka_delivery.sh BUILD_DIR [EVENTS [ROUNDS]]; VERBOSE=1 adds
# each agent round's burst, read and acknowledged times; RINGBUF_SIZE sets the
# agent's ring buffer (default 64 MiB: it holds a whole burst).
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
n=${2:-100000}
rounds=${3:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/hostmon-bench.XXXXXX)
agent=
trap '[[ -n $agent ]] && kill -9 "$agent" 2>/dev/null; wait; rm -rf "$tmp"' EXIT
trap 'exit 143' TERM INT
. "$(dirname "$0")/burst.sh"

brokers=$("$root/tools/kafka-local" start 2>"$tmp/kafka.err" | tail -n 1) ||
	{ echo "kafka_delivery: tools/kafka-local start failed: $(tail -n 5 "$tmp/kafka.err")" >&2; exit 1; }
# The agent's producer settings (agent/sinks/kafka_producer.c), for kcat too.
producer=(-X enable.idempotence=true -X acks=all -X compression.codec=lz4 -X linger.ms=50
	-X queue.buffering.max.kbytes=65536)

cpu_ticks() {	# utime + stime of PID in clock ticks
	local f
	read -ra f <"/proc/$1/stat"
	echo $((f[13] + f[14]))
}

runq_wait_ns() {	# PID: time its main thread spent runnable but waiting for a CPU
	local f
	read -ra f <"/proc/$1/schedstat"
	echo "${f[1]}"
}

high_watermark() {	# TOPIC: the end offset of partition 0
	kcat -Q -b "$brokers" -t "$1:0:-1" 2>/dev/null | awk '{print $NF}'
}

# agent_start TOPIC [PAGE]: hostmond configured for a burst (burst_config)
# with the Kafka sink, under the allocation counter sharing PAGE if one is
# named.
agent_start() {
	counter_prefix "${2:-}"
	burst_config "$tmp/hostmon.ini"
	rm -rf "$tmp/spool" "$tmp/out.jsonl"
	"${counter_cmd[@]}" "$build/hostmond" --config "$tmp/hostmon.ini" --output "jsonl:$tmp/out.jsonl" \
		--socket "$tmp/hostmon.sock" --spool-dir "$tmp/spool" --log-level info \
		--kafka-brokers "$brokers" --kafka-topic "$1" 2>"$tmp/hostmond.log" &
	agent=$!
	local i
	# Steady state: its first record acknowledged and two windows closed.
	for ((i = 0; i < 300; i++)); do
		[[ $(high_watermark "$1") -ge 1 ]] 2>/dev/null &&
			(($(windows_closed "$tmp/out.jsonl") >= 2)) && return 0
		sleep 0.1
	done
	echo "kafka_delivery: hostmond's first record not in $1 or no two windows within 30 s" >&2
	exit 1
}

# agent_round I [PAGE]: one burst, under the allocation counter sharing PAGE
# if one is named; "records/s burst_events/s cpu_ms_per_10k dropped
# percent_of_the_time_waiting_for_a_cpu allocations_per_burst_record" ("-"
# when not counted) into $tmp/round, the records acknowledged in $tmp/count, the size of one of
# the burst's envelopes in ENVELOPE_BYTES and the burst's lines in $tmp/lines.
agent_round() {
	local topic=hostmon-bench-agent-$$-$1 page=${2:-} base t0 t1 t_read c0 c1 w0 w1 a0= a1=
	agent_start "$topic" "$page"
	base=$(high_watermark "$topic")
	c0=$(cpu_ticks "$agent")
	w0=$(runq_wait_ns "$agent")
	[[ -n $page ]] && a0=$(alloc_calls "$page" "$agent")
	t0=$(now_ns)
	burst "$tmp/out.jsonl"
	t_read=$(now_ns)
	until [[ $(high_watermark "$topic") -ge $burst_last ]] 2>/dev/null; do
		sleep 0.01
	done
	t1=$(now_ns)
	c1=$(cpu_ticks "$agent")
	w1=$(runq_wait_ns "$agent")
	[[ -n $page ]] && a1=$(alloc_calls "$page" "$agent")
	[[ -n ${VERBOSE:-} ]] && echo "burst $(((burst_end - t0) / 1000000)) ms," \
		"all read $(((t_read - t0) / 1000000)) ms, acknowledged $(((t1 - t0) / 1000000)) ms," \
		"$((burst_last - base)) records" >&2
	ENVELOPE_BYTES=$(kcat -C -b "$brokers" -t "$topic" -o $((burst_last - 1)) -c 1 -e -f '%S' 2>/dev/null)
	agent_stop
	grep "\"type\":\"slow_syscall\",.*\"pid\":$burst_pid," "$tmp/out.jsonl" >"$tmp/lines"
	echo $((burst_last - base)) >"$tmp/count"
	awk -v all=$((burst_last - base)) -v n="$burst_got" -v ns=$((t1 - t0)) -v ticks=$((c1 - c0)) \
		-v hz="$(getconf CLK_TCK)" -v d=$((n - burst_got)) -v w=$((w1 - w0)) \
		-v a0="$a0" -v a1="$a1" 'BEGIN {
		printf "%.0f %.0f %.1f %d %.0f %s\n", all / (ns / 1e9), n / (ns / 1e9),
			ticks * 1000 / hz * 10000 / all, d, w * 100 / ns,
			a0 == "" ? "-" : sprintf("%.2f", (a1 - a0) / n) }' >"$tmp/round"
}

# kcat_round I: as many messages as the agent's round delivered, ENVELOPE_BYTES
# each (the burst's JSON lines cut to size, repeated as needed: text as
# repetitive as the envelopes); prints messages/s.
kcat_round() {
	local topic=hostmon-bench-kcat-$$-$1 t0 t1 m
	m=$(cat "$tmp/count")
	awk -v m="$m" -v b="$ENVELOPE_BYTES" '{ l[NR] = substr($0, 1, b) }
		END { for (i = 0; i < m; i++) print l[i % NR + 1] }' "$tmp/lines" >"$tmp/messages"
	echo warm | kcat -P -b "$brokers" -t "$topic" -k hostmon-bench "${producer[@]}" 2>/dev/null
	t0=$(now_ns)
	kcat -P -b "$brokers" -t "$topic" -k hostmon-bench "${producer[@]}" <"$tmp/messages" 2>"$tmp/kcat.err" ||
		{ echo "kafka_delivery: kcat -P failed: $(tail -n 3 "$tmp/kcat.err")" >&2; exit 1; }
	t1=$(now_ns)
	[[ $(high_watermark "$topic") -eq $((m + 1)) ]] ||
		{ echo "kafka_delivery: $topic holds $(high_watermark "$topic") messages, expected $((m + 1))" >&2; exit 1; }
	awk -v n="$m" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f\n", n / (ns / 1e9) }'
}

echo "$n events per round, $rounds rounds (agent, kcat, agent under the allocation counter," \
	"alternating), broker $brokers"
for ((r = 1; r <= rounds; r++)); do
	agent_round "$r"
	read -r a_rate a_burst a_cpu a_drops a_wait _ <"$tmp/round"
	k_rate=$(kcat_round "$r")
	agent_round "$r-counted" "$tmp/page"
	read -r _ _ c_cpu c_drops _ c_allocs <"$tmp/round"
	echo "round $r: agent $a_rate records/s ($a_burst/s of the burst's events;" \
		"CPU $a_cpu ms per 10k records; burst events dropped $a_drops;" \
		"its event loop waited for a CPU $a_wait% of the time)," \
		"kcat -P $k_rate msgs/s of $ENVELOPE_BYTES bytes;" \
		"under the allocation counter: $c_allocs allocations per record," \
		"CPU $c_cpu ms per 10k records, burst events dropped $c_drops"
	echo "$a_rate" >>"$tmp/agent"
	echo "$a_cpu" >>"$tmp/cpu"
	echo "$k_rate" >>"$tmp/kcat"
	echo "$((a_drops + c_drops))" >>"$tmp/drops"
	echo "$c_allocs" >>"$tmp/allocs"
	echo "$c_cpu" >>"$tmp/counted_cpu"
done
a=$(median <"$tmp/agent")
k=$(median <"$tmp/kcat")
awk -v a="$a" -v k="$k" -v c="$(median <"$tmp/cpu")" -v d="$(awk '{ s += $1 } END { print s }' "$tmp/drops")" 'BEGIN {
	printf "median: agent %.0f records/s, kcat -P %.0f msgs/s, ratio %.2f (goal >= 0.8);" \
		" hostmond CPU %.1f ms per 10k records; burst events dropped %d in all rounds\n",
		a, k, a / k, c, d }'
printf "median: %.2f heap allocations per record delivered to Kafka, librdkafka's own included %s\n" \
	"$(median <"$tmp/allocs")" "(CPU under the counter $(median <"$tmp/counted_cpu") ms per 10k); rounds: $(paste -sd ' ' "$tmp/allocs")"
