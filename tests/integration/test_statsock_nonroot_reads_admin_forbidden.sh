#!/bin/bash
# A non-root client in the socket's group can read every endpoint but gets
# 403 on the admin ones (SO_PEERCRED); root may change the log level; a client
# outside the group cannot connect at all (mode 0660).
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) not installed"

agent_start
chmod 711 "$T"                 # let uid 65534 reach the socket
chgrp 65534 "$SOCK"            # the socket's group: what group hostmon would be
as_nobody() {                  # as_nobody GID CURL_ARGS... PATH: body; status in $T/status
	local gid=$1
	shift
	setpriv --reuid=65534 --regid="$gid" --clear-groups \
		curl -sS --max-time 10 --unix-socket "$SOCK" -w '\n%{http_code}' "${@:1:$#-1}" \
		"http://hostmon${*: -1}" >"$T/nobody" 2>&1 || true
	tail -n 1 "$T/nobody" >"$T/status"
	head -n -1 "$T/nobody"
}

for path in /health /stats /metrics /events; do
	as_nobody 65534 "$path" >/dev/null
	[[ $(cat "$T/status") =~ ^(200|503)$ ]] ||
		fail "GET $path as uid 65534: expected 200 (or 503 before a window), got $(cat "$T/nobody")"
done
expect_field "$(as_nobody 65534 /health)" .state running

body=$(as_nobody 65534 -X POST "/admin/log-level?level=error")
expect_status "POST /admin/log-level as uid 65534" 403
expect_field "$body" .error.code forbidden
body=$(as_nobody 65534 -X POST /admin/reload)
expect_status "POST /admin/reload as uid 65534" 403
expect_field "$(api /health)" .config.log_level debug    # unchanged

body=$(api -X POST "/admin/log-level?level=warn")
expect_status "POST /admin/log-level as root" 200
expect_field "$body" .log_level warn
expect_field "$(api /health)" .config.log_level warn
api -X POST "/admin/log-level?level=loud" >/dev/null
expect_status "POST /admin/log-level?level=loud" 400

as_nobody 65533 /health >/dev/null
expect_eq "status for a client outside the socket's group" 000 "$(cat "$T/status")"
grep -q "Permission denied\|Couldn't connect" "$T/nobody" ||
	fail "client outside the group: expected a refused connection, got $(cat "$T/nobody")"
agent_stop
