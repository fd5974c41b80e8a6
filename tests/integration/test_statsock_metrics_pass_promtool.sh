#!/bin/bash
# GET /metrics is valid Prometheus text (promtool check metrics), every name
# starts with hostmon_, counters are cumulative across windows, and the
# histogram's +Inf bucket equals its count, and refused connects in two
# windows add up in the connection error counter, and the agent's own events in
# and out agree with each other per kind and sink.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/getppid_loop"
require_file "$HELPERS/crasher"
require_file "$HELPERS/netpeer"
command -v promtool >/dev/null || fail "promtool not installed (Debian package prometheus; tools/install-deps)"

one_second_windows
agent_start syscalls proc net
refuse() {	# one refused connect to the closed port 127.0.0.1:9
	local err
	read -r _ err < <("$HELPERS/netpeer" connect 127.0.0.1 9)
	expect_eq "connect errno to 127.0.0.1:9" 111 "$err"
}
"$HELPERS/crasher" segv &
pid=$!
track "$pid"
wait_child "$pid" 10
"$HELPERS/getppid_loop" 30000
refuse
wait_window
"$HELPERS/getppid_loop" 30000
refuse
refuse
wait_window
wait_window

api /metrics >"$T/metrics"
expect_status /metrics 200
promtool check metrics <"$T/metrics" >"$T/promtool" 2>&1 ||
	fail "promtool check metrics: $(cat "$T/promtool")"
expect_eq "metric names not starting with hostmon_" "" \
	"$(grep -v '^#' "$T/metrics" | grep -v '^hostmon_' | head -3)"
sample() {    # sample NAME{LABELS}: its value
	awk -v n="$1" '$1 == n { print $2 }' "$T/metrics"
}
expect_cmp "getppid calls since start (two loops in different windows)" \
	"$(sample 'hostmon_syscall_calls_total{syscall="getppid"}')" -ge 60000
expect_eq "+Inf bucket of getppid = count" \
	"$(sample 'hostmon_syscall_duration_seconds_count{syscall="getppid"}')" \
	"$(sample 'hostmon_syscall_duration_seconds_bucket{syscall="getppid",le="+Inf"}')"
expect_cmp "SIGSEGV crashes since start" \
	"$(sample 'hostmon_process_crashes_total{signal="SIGSEGV"}')" -ge 1
expect_eq "refused connects since start (three, over two windows)" 3 \
	"$(sample 'hostmon_connection_errors_total{kind="refused"}')"
expect_cmp "connect attempts since start" "$(sample 'hostmon_connect_attempts_total')" -ge 3
expect_eq "drops of slow_syscall events" 0 \
	"$(sample 'hostmon_drops_total{family="syscalls",reason="slow_syscall"}')"
grep -q '^hostmon_syscall_latency_seconds{syscall="[a-z0-9_]*",quantile="0.99"} [0-9.]*$' "$T/metrics" ||
	fail "no p99 summary sample in /metrics"
# The agent's own figures: RSS as /proc says less the BPF maps mapped in
# (within 25%), CPU and ring fill as numbers, the shed level.
rss=$(sample hostmon_agent_resident_memory_bytes)
mapped=$(sample hostmon_agent_bpf_mapped_bytes)
expect_cmp "hostmon_agent_bpf_mapped_bytes (three ring buffers at least)" "$mapped" -gt 0
expect_within_pct "hostmon_agent_resident_memory_bytes vs VmRSS less hostmon_agent_bpf_mapped_bytes" \
	"$(($(awk '$1 == "VmRSS:" { print $2 }' /proc/"$AGENT_PID"/status) * 1024 - mapped))" "$rss" 25
for family in syscalls proc net exe; do
	expect_cmp "hostmon_bpf_memory_bytes{family=\"$family\"}" \
		"$(sample "hostmon_bpf_memory_bytes{family=\"$family\"}")" -gt 0
done
[[ $(sample hostmon_agent_cpu_percent) =~ ^[0-9]+\.[0-9]+$ ]] || fail "hostmon_agent_cpu_percent is not a number"
[[ $(sample hostmon_ring_buffer_fill_max_ratio) =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
	fail "hostmon_ring_buffer_fill_max_ratio is not a number"
grep -q '^hostmon_agent_shedding{events="[a-z_,]*"} 1$' "$T/metrics" || fail "no hostmon_agent_shedding sample"
# The pid cache: its counters since start are the windows' sums (one lookup per
# refused connect with an owner at least), the ratio theirs, the bound the default.
# /metrics read again between two equal /stats seqs: no window closed meanwhile.
for ((i = 0; i < 10; i++)); do
	latest=$(field "$(api /stats)" .seq)
	api /metrics >"$T/metrics"
	[[ $(field "$(api /stats)" .seq) == "$latest" ]] && break
done
windows=$(q -c --argjson s "$latest" '[.[] | select(.type == "metrics" and .seq <= $s) | .self.pid_cache]')
hits=$(jq '[.[].hits] | add' <<<"$windows")
misses=$(jq '[.[].misses] | add' <<<"$windows")
expect_eq "hostmon_agent_pid_cache_hits_total = the windows' hits" "$hits" "$(sample hostmon_agent_pid_cache_hits_total)"
expect_eq "hostmon_agent_pid_cache_misses_total = the windows' misses" "$misses" \
	"$(sample hostmon_agent_pid_cache_misses_total)"
expect_cmp "pid cache lookups (three refused connects at least)" "$((hits + misses))" -ge 3
expect_eq "hostmon_agent_pid_cache_hit_ratio" "$(jq -rn "$hits / ($hits + $misses) * 10000 | round / 10000")" \
	"$(jq -rn "$(sample hostmon_agent_pid_cache_hit_ratio)")"
[[ $(sample hostmon_agent_pid_cache_evictions_total) =~ ^[0-9]+$ ]] || fail "no hostmon_agent_pid_cache_evictions_total"
[[ $(sample hostmon_agent_pid_cache_entries) =~ ^[0-9]+$ ]] || fail "no hostmon_agent_pid_cache_entries"
bound=64	# the default; lib.sh raises a sanitizer build's
[[ -f "$BUILD/sanitizers" ]] && bound=1024
expect_eq "hostmon_agent_max_resident_memory_bytes (max_rss_mb $bound)" $((bound << 20)) \
	"$(sample hostmon_agent_max_resident_memory_bytes)"
# Events in and out since start: each window counted itself in, every crash
# and connection error read from the kernel went out to both sinks.
expect_cmp "metrics records counted in (three windows waited for)" \
	"$(sample 'hostmon_agent_events_in_total{kind="metrics"}')" -ge 3
for kind in process_crash conn_error; do
	n=$(sample "hostmon_agent_events_in_total{kind=\"$kind\"}")
	expect_cmp "$kind counted in" "$n" -ge "$([[ $kind == conn_error ]] && echo 3 || echo 1)"
	for sink in jsonl socket; do
		expect_eq "$kind out to $sink vs in" "$n" \
			"$(sample "hostmon_agent_events_out_total{sink=\"$sink\",kind=\"$kind\"}")"
	done
done
expect_eq "metrics records kept for /events" 0 \
	"$(sample 'hostmon_agent_events_out_total{sink="socket",kind="metrics"}')"
expect_eq "Kafka series without a Kafka sink" "" "$(grep '^hostmon_kafka_\|sink="kafka"' "$T/metrics")"
agent_stop
