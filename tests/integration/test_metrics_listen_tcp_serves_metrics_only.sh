#!/bin/bash
# --metrics-listen ADDRESS:PORT (off by default) serves /metrics over TCP for
# Prometheus and nothing else: /health, /events and admin endpoints are 404
# there. A malformed address is a config error (exit 2).
. "$(dirname "$0")/lib.sh"

rc=0
"$HOSTMOND" --metrics-listen localhost:9464 --check-config 2>"$T/bad.log" || rc=$?
expect_eq "exit status for --metrics-listen localhost:9464" 2 "$rc"
grep -q "metrics_listen: 'localhost:9464' is not ADDRESS:PORT" "$T/bad.log" ||
	fail "message for a bad metrics_listen: $(cat "$T/bad.log")"

agent_start    # default: no TCP listener
expect_eq "TCP sockets hostmond listens on by default" "" \
	"$(ss -Htlnp | grep "pid=$AGENT_PID," || true)"
agent_stop

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
AGENT_ARGS=(--metrics-listen "127.0.0.1:$port")
OUT=$T/out2.jsonl
agent_start
tcp() {    # tcp [CURL ARGS] PATH: the HTTP status
	curl -sS --max-time 10 -o "$T/tcp_body" -w '%{http_code}' "${@:1:$#-1}" \
		"http://127.0.0.1:$port${*: -1}"
}
expect_eq "GET /metrics over TCP" 200 "$(tcp /metrics)"
grep -q '^# TYPE hostmon_syscall_calls_total counter$' "$T/tcp_body" ||
	fail "/metrics over TCP: no hostmon_syscall_calls_total family in $(head -c 300 "$T/tcp_body")"
for path in /health /stats /events /admin/reload; do
	expect_eq "GET $path over TCP" 404 "$(tcp "$path")"
done
expect_eq "POST /admin/log-level over TCP" 404 "$(tcp -X POST "/admin/log-level?level=debug")"
expect_field "$(api /health)" .state running    # the Unix socket serves everything still
agent_stop
