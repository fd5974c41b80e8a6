#!/bin/bash
# Successful connects across a veth whose SYN-ACKs are held 20 ms: the
# connect p95 hostmond reports for the endpoint (SYN_SENT to ESTABLISHED) is
# within 5% of the p95 of the handshake round trips the client's kernel
# measured (TCP_INFO tcpi_rtt, the first RTT sample); the time the client saw
# connect() take is at least the delay. This kernel has no sch_netem, so the
# delay comes from NFQUEUE and a helper that holds each packet.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/netpeer"
require_file "$HELPERS/nfq_delay"
PORT=8083
N=100

netns_pair
server_start "$NS_S" "$T/delay" "$HELPERS/nfq_delay" 0 20000
ip netns exec "$NS_S" iptables -A OUTPUT -p tcp --sport "$PORT" --tcp-flags SYN,ACK SYN,ACK \
	-j NFQUEUE --queue-num 0
server_start "$NS_S" "$T/server" "$HELPERS/netpeer" accept-loop "$PORT" "$N"
agent_start net
read -r _ measured rtt < <(ip netns exec "$NS_C" "$HELPERS/netpeer" latency "$SERVER_IP" "$PORT" "$N")
agent_stop

ep=$(q -c "[.[] | select(.type == \"metrics\") | .connections.endpoints[] |
	select(.endpoint == \"$SERVER_IP:$PORT\" and .direction == \"out\")] | last")
[[ "$ep" != null ]] || fail "no metrics entry for endpoint $SERVER_IP:$PORT"
expect_field "$ep" .established "$N"
expect_field "$ep" .attempts "$N"
echo "connect p95: connect() took $measured ns, handshake RTT $rtt ns," \
	"hostmond reports $(field "$ep" .connect_p95_ns) ns"
expect_cmp "p95 of the time connect() took (the 20 ms delay must apply)" "$measured" -ge 20000000
expect_within_pct "connect_p95_ns vs the p95 handshake RTT of the client's kernel" "$rtt" \
	"$(field "$ep" .connect_p95_ns)" 5
