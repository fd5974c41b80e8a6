#!/bin/bash
# A 64 MiB ring buffer per family with the default 64 MiB max_rss_mb: the
# ring buffers' pages, mapped into the agent (their data twice: over 384 MiB
# of VmRSS), are the kernel's BPF memory, reported as such (/health
# bpf_memory_bytes and bpf_mapped_bytes, /metrics), not the agent's own RSS:
# nothing is shed, and a load of exactly N slow syscalls (getpgid with
# slow_threshold_us = 0: every call is one) arrives as N slow_syscall records.
# The figures are checked against the kernel's: the memlock of each map the
# agent holds (its fdinfo, each map id once) and the bpf mappings in its smaps.
# max_cpu_percent = 100: this machine's load is not the agent's, and the CPU
# trigger is another test's.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/syscall_loop"
memory_checked

RING=67108864
N=20000
NR_GETPGID=121
write_config <<EOF_CONF
[agent]
interval = 1
host_id = hostmon-test
ringbuf_size = $RING
max_cpu_percent = 100
[syscalls]
include = getpgid
slow_threshold_us = 0
sample_above = 0
EOF_CONF
agent_start syscalls proc net

vmrss_kb=$(awk '$1 == "VmRSS:" { print $2 }' /proc/"$AGENT_PID"/status)
expect_cmp "the agent's VmRSS with three 64 MiB ring buffers mapped (kB)" "$vmrss_kb" -gt $((3 * 2 * RING / 1024))

# After the governor's first samples: the bound is judged before the load starts.
wait_window
"$HELPERS/syscall_loop" "$N" "$NR_GETPGID" &
load=$!
track "$load"
wait_child "$load" 60
expect_eq "syscall_loop exit status" 0 "$CHILD_RC"
# Two windows after the load: its last events are read and counted.
wait_window
wait_window
HEALTH=$(api /health)
api /metrics >"$T/metrics"

# The kernel's own figures, read by the test: each map the agent holds once.
declare -A seen=()
kernel=0
for info in /proc/"$AGENT_PID"/fdinfo/*; do
	id=$(awk '$1 == "map_id:" { print $2 }' "$info" 2>/dev/null || true)
	[[ -n "$id" && -z "${seen[$id]:-}" ]] || continue
	seen[$id]=1
	kernel=$((kernel + $(awk '$1 == "memlock:" { print $2 }' "$info")))
done
mapped=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { bpf = ($6 ~ /^anon_inode:bpf/) }
	bpf && $1 == "Rss:" { kb += $2 } END { print kb * 1024 }' /proc/"$AGENT_PID"/smaps)
vmrss_kb=$(awk '$1 == "VmRSS:" { print $2 }' /proc/"$AGENT_PID"/status)
agent_stop

# Nothing shed: no brownout announced, no shed counted, /health says none.
expect_eq "/health shed" none "$(field "$HEALTH" .shed)"
expect_eq "agent_status records announcing a brownout or the memory bound" 0 \
	"$(count_events agent_status '.reason | test("brownout|memory")')"
expect_eq "slow_syscall events shed (drops.syscalls.shed)" 0 "$(sum_metric drops syscalls shed)"
expect_eq "slow_syscall events lost to a full ring buffer" 0 "$(sum_metric drops syscalls slow_syscall)"
expect_eq "getpgid calls counted" "$N" "$(sum_calls getpgid)"
expect_eq "slow_syscall records of the load (pid $load)" "$N" \
	"$(count_events slow_syscall ".pid == $load and .syscall == \"getpgid\"")"

# The agent's own RSS is under its bound in every window; VmRSS less the BPF mappings.
expect_eq "windows whose self.rss_kb is over max_rss_kb" 0 \
	"$(count_events metrics '.self.rss_kb > .self.max_rss_kb')"
expect_within_pct "last self.rss_kb vs VmRSS less the BPF mappings (kB)" \
	"$((vmrss_kb - mapped / 1024))" "$(q '[.[] | select(.type == "metrics")] | last.self.rss_kb')" 25

# BPF memory as the kernel counts it: on /health, by family, and in /metrics.
total=$(field "$HEALTH" .bpf_memory_bytes)
expect_within_pct "/health bpf_memory_bytes vs the memlock of the agent's maps" "$kernel" "$total" 1
expect_eq "/health bpf_memory by family adds up to bpf_memory_bytes" "$total" \
	"$(field "$HEALTH" '[.bpf_memory[]] | add')"
for family in syscalls proc net; do
	bytes=$(field "$HEALTH" ".bpf_memory.$family")
	expect_cmp "/health bpf_memory.$family (its 64 MiB ring buffer)" "$bytes" -gt "$RING"
	expect_eq "hostmon_bpf_memory_bytes{family=\"$family\"}" "$bytes" \
		"$(awk -v n="hostmon_bpf_memory_bytes{family=\"$family\"}" '$1 == n { print $2 }' "$T/metrics")"
done
expect_cmp "/health bpf_memory.exe (the shared exe map)" "$(field "$HEALTH" .bpf_memory.exe)" -gt 0
expect_within_pct "/health bpf_mapped_bytes vs the agent's bpf mappings in smaps" "$mapped" \
	"$(field "$HEALTH" .bpf_mapped_bytes)" 1
expect_cmp "bpf_mapped_bytes (three ring buffers' data, mapped twice)" \
	"$(field "$HEALTH" .bpf_mapped_bytes)" -ge $((3 * 2 * RING))
echo "ok: $N slow_syscall records, none shed; VmRSS $((vmrss_kb / 1024)) MiB of which BPF mappings $((mapped >> 20)) MiB; BPF memory $((total >> 20)) MiB"
