#!/bin/bash
# A TCP connect to a closed loopback port, over IPv4 and IPv6, gives one
# conn_error "refused" naming the connecting process, its ports and errno 111;
# a connected UDP socket whose peer port is closed gives one "refused" (ICMP)
# where the kernel has the inet_sk_error_report tracepoint; where it has not
# (5.10), /health's net path says that UDP errors are not seen, and none is.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/netpeer"
PORT=9	# discard: nothing listens on it here

agent_start net
net_path=$(field "$(api /health)" .probes.net.path)
read -r pid4 err4 < <("$HELPERS/netpeer" connect 127.0.0.1 "$PORT")
read -r pid6 err6 < <("$HELPERS/netpeer" connect ::1 "$PORT")
read -r pidu erru < <("$HELPERS/netpeer" udp 127.0.0.1 "$PORT")
agent_stop
expect_eq "connect errno the helper saw (IPv4)" 111 "$err4"
expect_eq "connect errno the helper saw (IPv6)" 111 "$err6"
expect_eq "recv errno the helper saw (UDP)" 111 "$erru"

check_refused() {	# PID FAMILY DADDR PROTOCOL
	local ev
	ev=$(one_event conn_error ".pid == $1")
	expect_field "$ev" .kind refused
	expect_field "$ev" .comm netpeer
	expect_field "$ev" .errno 111
	expect_field "$ev" .error ECONNREFUSED
	expect_field "$ev" .family "$2"
	expect_field "$ev" .protocol "$4"
	expect_field "$ev" .daddr "$3"
	expect_field "$ev" .saddr "$3"
	expect_field "$ev" .dport "$PORT"
	expect_cmp "sport of $ev" "$(field "$ev" .sport)" -gt 0
}
check_refused "$pid4" ipv4 127.0.0.1 tcp
check_refused "$pid6" ipv6 ::1 tcp
if [[ $net_path == *"no UDP errors"* ]]; then
	echo "this kernel: $net_path"
	expect_eq "conn_error records for the UDP helper (no UDP errors here)" 0 \
		"$(count_events conn_error ".pid == $pidu")"
else
	check_refused "$pidu" ipv4 127.0.0.1 udp
fi
ev=$(one_event conn_error ".pid == $pid4")
expect_field "$ev" .connect true
expect_cmp "duration_ns of the refused IPv4 connect" "$(field "$ev" .duration_ns)" -gt 0
expect_cmp "refused failures counted for 127.0.0.1:$PORT" \
	"$(q "[.[] | select(.type == \"metrics\") | .connections.endpoints[] |
		select(.endpoint == \"127.0.0.1:$PORT\" and .protocol == \"tcp\") | .failures.refused] | add")" -eq 1
