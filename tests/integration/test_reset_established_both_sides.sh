#!/bin/bash
# An established connection across two namespaces that the server closes with
# a reset (SO_LINGER 0): the client gets "reset_received" (ECONNRESET) naming
# the client process, the server "reset_sent" naming the server process, and
# both are counted for their endpoint: the server's address:port, out for the
# client and in for the server.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/netpeer"
PORT=8081

netns_pair
agent_start net
server_start "$NS_S" "$T/server" "$HELPERS/netpeer" reset-server "$PORT"
read -r cpid cerr < <(ip netns exec "$NS_C" "$HELPERS/netpeer" reset-client "$SERVER_IP" "$PORT")
wait_child "$SERVER_PID" 5
agent_stop
spid=$(awk '$1 != "ready" { print $1 }' "$T/server")
expect_eq "errno of the client's read" 104 "$cerr"

ev=$(one_event conn_error '.kind == "reset_received"')
expect_field "$ev" .pid "$cpid"
expect_field "$ev" .comm netpeer
expect_field "$ev" .errno 104
expect_field "$ev" .daddr "$SERVER_IP"
expect_field "$ev" .dport "$PORT"
expect_field "$ev" .saddr "$CLIENT_IP"
cport=$(field "$ev" .sport)

ev=$(one_event conn_error '.kind == "reset_sent"')
expect_field "$ev" .pid "$spid"
expect_field "$ev" .comm netpeer
expect_field "$ev" .saddr "$SERVER_IP"
expect_field "$ev" .sport "$PORT"
expect_field "$ev" .daddr "$CLIENT_IP"
expect_field "$ev" .dport "$cport"

endpoint() {	# DIRECTION KIND: that failure count for SERVER_IP:PORT
	q "[.[] | select(.type == \"metrics\") | .connections.endpoints[] |
		select(.endpoint == \"$SERVER_IP:$PORT\" and .direction == \"$1\") |
		.failures.$2] | add"
}
expect_eq "reset_received counted for $SERVER_IP:$PORT out" 1 "$(endpoint out reset_received)"
expect_eq "reset_sent counted for $SERVER_IP:$PORT in" 1 "$(endpoint in reset_sent)"
