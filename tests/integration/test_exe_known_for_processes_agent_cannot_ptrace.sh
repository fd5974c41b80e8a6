#!/bin/bash
# conn_error and slow_syscall records name the right exe for processes whose
# /proc/PID/exe the capability-less agent may not read: root with its
# capabilities, another uid (nobody), a child forked without execve, a
# process started before hostmond that connects after, and one gone before
# the agent looks (docs/records.md, "the pid cache": the kernel's exe map answers).
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/netpeer"
command -v setpriv >/dev/null || fail "setpriv not installed (Debian package util-linux)"

# Two programs, so that an event given the other one's exe shows; nobody must reach them.
chmod 755 "$T"
A=$T/netpeer-a
B=$T/netpeer-b
cp "$HELPERS/netpeer" "$A"
cp "$HELPERS/netpeer" "$B"
detail_events_config

# Started before hostmond (root, all capabilities): connects once told to, then waits.
mkfifo "$T/early-go"
bash -c 'read -r _; : 2>/dev/null 3<>/dev/tcp/127.0.0.1/9; read -r _' <"$T/early-go" &
early=$!
track "$early"
exec 5>"$T/early-go"
BASH_EXE=$(readlink -f "$(command -v bash)")
agent_start syscalls net
echo go >&5

declare -A EXE_OF REFUSED_BY
"$A" refuse-loop 127.0.0.1 9 20 600 >"$T/capped" &
capped=$!
setpriv --reuid 65534 --regid 65534 --clear-groups "$B" refuse-loop 127.0.0.1 9 20 600 >"$T/nobody" &
nobody=$!
"$A" fork-refuse 127.0.0.1 9 20 600 >"$T/forked" &
forker=$!
track "$capped"; track "$nobody"; track "$forker"
read -r gone err < <("$B" connect 127.0.0.1 9)
expect_eq "short-lived connect errno" 111 "$err"
for pid in "$capped" "$nobody" "$forker"; do
	wait_child "$pid" 30
	expect_eq "helper $pid exit status" 0 "$CHILD_RC"
done
read -r pid n <"$T/capped" && REFUSED_BY[$pid]=$n EXE_OF[$pid]=$A
read -r pid n <"$T/nobody" && REFUSED_BY[$pid]=$n EXE_OF[$pid]=$B
read -r forked n <"$T/forked" && REFUSED_BY[$forked]=$n EXE_OF[$forked]=$A
expect_cmp "forked child pid $forked differs from its parent's" "$forked" -ne "$forker"
wait_window
wait_window
echo end >&5
wait_child "$early" 5
agent_stop

for pid in "${!REFUSED_BY[@]}"; do
	expect_own_exe "$pid" "${EXE_OF[$pid]}" "${REFUSED_BY[$pid]}"
done
expect_eq "conn_error records of early pid $early naming $BASH_EXE" 1 \
	"$(count_events conn_error ".pid == $early and .exe == \"$BASH_EXE\"")"
expect_eq "conn_error records of gone pid $gone naming $B" 1 \
	"$(count_events conn_error ".pid == $gone and .exe == \"$B\"")"
echo "ok: exe of root with capabilities, nobody, a forked child, an earlier process, a gone one"
