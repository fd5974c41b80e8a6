#!/bin/bash
# Packet loss on a veth (netfilter dropping 10% of the data segments at
# random: this kernel has no sch_netem) during a transfer: the retransmits
# hostmond counts for the server's endpoint are the retransmissions the
# client's network namespace counted itself (TcpRetransSegs, one per segment;
# hostmond counts one per retransmitted skb, which may carry several).
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/netpeer"
PORT=8082
BYTES=4000000

netns_pair
ip netns exec "$NS_S" iptables -A INPUT -p tcp --dport "$PORT" ! --syn \
	-m statistic --mode random --probability 0.1 -j DROP
agent_start net
server_start "$NS_S" "$T/server" "$HELPERS/netpeer" sink "$PORT"
before=$(ip netns exec "$NS_C" nstat -az TcpRetransSegs | awk '$1 == "TcpRetransSegs" { print $2 }')
read -r _ sent < <(ip netns exec "$NS_C" "$HELPERS/netpeer" send "$SERVER_IP" "$PORT" "$BYTES")
after=$(ip netns exec "$NS_C" nstat -az TcpRetransSegs | awk '$1 == "TcpRetransSegs" { print $2 }')
wait_child "$SERVER_PID" 10
agent_stop
expect_eq "bytes the client sent" "$BYTES" "$sent"

truth=$((after - before))
got=$(q "[.[] | select(.type == \"metrics\") | .connections.endpoints[] |
	select(.endpoint == \"$SERVER_IP:$PORT\" and .direction == \"out\") | .retransmits] | add")
echo "retransmitted segments (kernel MIB): $truth, hostmond retransmits: $got"
expect_cmp "segments the client retransmitted (the loss must cause some)" "$truth" -gt 0
expect_eq "hostmond retransmits for $SERVER_IP:$PORT vs the kernel's TcpRetransSegs" \
	"$truth" "$got"
expect_eq "retransmits in the window totals vs the endpoint's" "$got" \
	"$(sum_metric connections total retransmits)"
