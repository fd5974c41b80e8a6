#!/bin/bash
# A syscall hot enough to be sampled ([syscalls] sample_above, here 200 calls
# a CPU a window instead of 65536, so that sleeps can be that hot): every
# call is still counted, one in 8 past the first 200 is timed, and the p95
# from the weighted histogram is within 3% of the p95 the process measured.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/sleeper"
N=6000

write_config <<EOF_CONF
[agent]
interval = 60
host_id = hostmon-test
[syscalls]
include = clock_nanosleep
sample_above = 200
EOF_CONF
agent_start syscalls
measured=$("$HELPERS/sleeper" "$N" 100 2000 7)
# The kernel's own per-CPU counts of clock_nanosleep (230 on x86_64): how
# many calls were timed.
# This agent's map (by its fds: another agent may have one of the same name).
map=
for id in $(awk '/^map_id:/ { print $2 }' /proc/"$AGENT_PID"/fdinfo/* 2>/dev/null | sort -un); do
	[[ $(bpftool -j map show id "$id" | jq -r .name) == stats ]] && map=$id && break
done
[[ $map =~ ^[0-9]+$ ]] || fail "no stats map loaded: $map"
timed=$(bpftool -j map lookup id "$map" key 230 0 0 0 | jq '[.formatted.values[].value.timed] | add')
agent_stop
echo "calls timed in the kernel: $timed of $N"
expect_cmp "calls timed (sampled: far fewer than the calls)" "$((timed * 2))" -lt "$N"
expect_cmp "calls timed (at least the first 200 on one CPU)" "$timed" -ge 200
expect_sleeper_p95 "$measured" "$N"
# Sampled: the histogram's weights stand for the calls, not one each.
window=$(q -c '[.[] | select(.type == "metrics")] | last |
	.syscalls[]? | select(.syscall == "clock_nanosleep")')
in_hist=$(jq '[.buckets[]] | add' <<<"$window")
calls=$(field "$window" .calls)
echo "calls $calls, histogram weights $in_hist"
expect_cmp "histogram weights of the sampled calls (more than 5% off the calls means no sampling or a wrong weight)" \
	"$(( (in_hist > calls ? in_hist - calls : calls - in_hist) * 100 ))" -le "$((calls * 5))"
