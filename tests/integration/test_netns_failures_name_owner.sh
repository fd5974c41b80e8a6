#!/bin/bash
# Across two network namespaces joined by veth, a peer that answers SYNs with
# RST, one that drops them and one that answers with ICMP host unreachable
# give "refused", "timeout" and "unreachable", each naming the connecting
# process, while a busy process runs on the same CPU (errors arrive in
# softirq, where the current task is whoever runs).
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/netpeer"

netns_pair
ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_syn_retries=1	# gives up after ~3 s
ipt() { ip netns exec "$NS_S" iptables -A INPUT -p tcp --syn "$@"; }
ipt --dport 81 -j REJECT --reject-with tcp-reset
ipt --dport 82 -j DROP
ipt --dport 83 -j REJECT --reject-with icmp-host-unreachable

agent_start net
taskset -c 0 bash -c 'while :; do :; done' &
busy=$!
track "$busy"
clients=()
for port in 81 82 83; do
	ip netns exec "$NS_C" taskset -c 0 "$HELPERS/netpeer" connect "$SERVER_IP" "$port" \
		>"$T/client.$port" &
	track $!
	clients+=($!)
done
for pid in "${clients[@]}"; do wait_child "$pid" 15; done
agent_stop
kill -9 "$busy"

check_kind() {	# PORT KIND ERRNO
	local pid err ev
	read -r pid err <"$T/client.$1"
	expect_eq "errno of the connect to port $1" "$3" "$err"
	ev=$(one_event conn_error ".dport == $1 and .daddr == \"$SERVER_IP\"")
	expect_field "$ev" .kind "$2"
	expect_field "$ev" .errno "$3"
	expect_field "$ev" .pid "$pid"
	expect_field "$ev" .comm netpeer
	expect_field "$ev" .saddr "$CLIENT_IP"
	expect_cmp "sport of $ev" "$(field "$ev" .sport)" -gt 0
	expect_cmp "duration_ns of $ev" "$(field "$ev" .duration_ns)" -gt 0
}
check_kind 81 refused 111
check_kind 82 timeout 110
check_kind 83 unreachable 113
ev=$(one_event conn_error '.dport == 82')
expect_cmp "timeout duration_ns (1 SYN retry: ~3 s)" "$(field "$ev" .duration_ns)" -ge 2500000000
