#!/bin/bash
# The stats socket's directory is created if missing; a stale socket file left
# by a dead process is replaced; a second agent on a live socket exits 2 naming
# the first; a path that is not a socket is never replaced; the socket goes
# away when the agent stops.
. "$(dirname "$0")/lib.sh"

SOCK=$T/run/hostmon/hostmon.sock
mkdir -p "$(dirname "$SOCK")"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
[[ -S "$SOCK" ]] || fail "could not make a stale socket at $SOCK"
agent_start
expect_field "$(api /health)" .state running
expect_eq "socket mode" "srw-rw----" "$(stat -c %A "$SOCK")"
expect_eq "socket directory mode" "drwxr-xr-x" "$(stat -c %A "$(dirname "$SOCK")")"
[[ -z "$(find "$(dirname "$SOCK")" -name '.hostmond-*')" ]] || fail "private bind directory left behind"

rc=0
"$HOSTMOND" --config "$CONF" --output jsonl:/dev/null --socket "$SOCK" 2>"$T/second.log" || rc=$?
expect_eq "second agent's exit status" 2 "$rc"
grep -q "another hostmond (pid $AGENT_PID) is serving $SOCK" "$T/second.log" ||
	fail "second agent's message: expected it to name pid $AGENT_PID and $SOCK, got: $(cat "$T/second.log")"
expect_field "$(api /health)" .state running    # the first one still serves
agent_stop
[[ ! -e "$SOCK" ]] || fail "socket $SOCK still there after the agent stopped"

SOCK=$T/new/dir/hostmon.sock    # missing directories
OUT=$T/out2.jsonl
agent_start
expect_field "$(api /health)" .state running
agent_stop

SOCK=$T/plain-file
echo keep >"$SOCK"
rc=0
"$HOSTMOND" --config "$CONF" --output jsonl:/dev/null --socket "$SOCK" 2>"$T/file.log" || rc=$?
expect_cmp "exit status with a regular file at the socket path" "$rc" -ne 0
expect_eq "the regular file's content" keep "$(cat "$SOCK")"
grep -q "is not a socket" "$T/file.log" || fail "message: expected 'is not a socket', got: $(cat "$T/file.log")"
