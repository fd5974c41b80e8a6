#!/bin/bash
# With more CPUs than histogram shards (forced here with one shard for two
# CPUs, as on a host with more than SC_HIST_SHARDS_MAX CPUs), CPUs share a
# shard through atomic adds: two CPUs calling getppid at once lose no call
# from the histogram, whose buckets add up to the exact call count.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/getppid_loop"
N=2000000
(($(nproc) >= 2)) || fail "needs two CPUs to share a shard, this machine has $(nproc)"

export HOSTMON_HIST_SHARDS=1
write_config <<EOF_CONF
[agent]
interval = 60
host_id = hostmon-test
[syscalls]
include = getppid
# Every call timed, weight 1: the buckets must add up to the calls exactly.
sample_above = 0
EOF_CONF
agent_start syscalls
taskset -c 0 "$HELPERS/getppid_loop" "$N" &
a=$!
taskset -c 1 "$HELPERS/getppid_loop" "$N" &
b=$!
wait "$a" || fail "getppid_loop on CPU 0 failed"
wait "$b" || fail "getppid_loop on CPU 1 failed"
agent_stop

calls=$(sum_calls getppid)
in_hist=$(q '[.[] | select(.type == "metrics") | .syscalls[]? |
	select(.syscall == "getppid") | .buckets[]] | add // 0')
expect_cmp "getppid calls counted" "$calls" -ge "$((2 * N))"
expect_eq "getppid calls in the histogram buckets (all windows)" "$calls" "$in_hist"
