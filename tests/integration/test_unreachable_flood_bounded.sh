#!/bin/bash
# 50,000 connects to distinct unreachable endpoints (a namespace without
# routes: ENETUNREACH) with a 1024-entry endpoint map, top 5 endpoints and at
# most 100 detail events a second: the totals count every failure exactly,
# the listed endpoints plus "other" add up to them, evictions are counted,
# every failure is either a conn_error event or counted as suppressed, and
# hostmond's memory stays bounded.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/netpeer"
N=50000
NS=hm-flood-$$

ip netns add "$NS" && on_exit "ip netns del $NS"
write_config <<EOF_CONF
[agent]
interval = 1
host_id = hostmon-test
[net]
endpoint_entries = 1024
top_endpoints = 5
events_per_sec = 100
EOF_CONF
memory_checked
agent_start net
read -r _ errors < <(ip netns exec "$NS" "$HELPERS/netpeer" unreach "$N")
rss_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$AGENT_PID/status")
agent_stop
expect_eq "connects that failed with ENETUNREACH (the helper's count)" "$N" "$errors"

expect_eq "total unreachable failures over all windows" "$N" \
	"$(sum_metric connections total failures unreachable)"
expect_eq "total attempts over all windows" "$N" "$(sum_metric connections total attempts)"
listed=$(q '[.[] | select(.type == "metrics") | .connections.endpoints[].failures.unreachable] | add // 0')
other=$(sum_metric connections other failures unreachable)
expect_eq "listed endpoints ($listed) + other ($other) vs the totals" "$N" "$((listed + other))"
expect_cmp "endpoints listed in any window" \
	"$(q '[.[] | select(.type == "metrics") | .connections.endpoints | length] | max')" -le 5
events=$(count_events conn_error '.kind == "unreachable"')
suppressed=$(sum_metric drops net suppressed)
lost=$(sum_metric drops net conn_error)
echo "events $events, suppressed $suppressed, ring buffer drops $lost, evictions" \
	"$(sum_metric drops net endpoint_evictions), peak RSS $rss_kb kB"
expect_eq "conn_error events + suppressed + lost vs failures" "$N" "$((events + suppressed + lost))"
expect_cmp "suppressed detail events" "$suppressed" -gt 0
expect_cmp "conn_error events (100 a second, over a few seconds)" "$events" -le 1000
expect_cmp "endpoint map evictions" "$(sum_metric drops net endpoint_evictions)" -gt 0
expect_cmp "hostmond peak RSS (kB)" "$rss_kb" -le $((32768 * MEM_FACTOR))
