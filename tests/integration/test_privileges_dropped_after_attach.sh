#!/bin/bash
# Once its probes are attached hostmond holds no capability in any thread (its
# own, librdkafka's, the HTTP server's: effective, permitted, inheritable,
# ambient and bounding sets all empty) and has no_new_privs set, and it still
# does its work: getppid calls counted, a crash and a refused connect
# reported, the stats socket answering. A config file writable by others, or
# owned by another user, is refused with exit status 2 naming the file.
. "$(dirname "$0")/lib.sh"
require_root
require_file "$HELPERS/getppid_loop"
require_file "$HELPERS/crasher"
require_file "$HELPERS/netpeer"
N=50000

printf '[agent]\ninterval = 1\nhost_id = hostmon-test\n' | write_config
# An unreachable broker: librdkafka's threads exist, records stay in the spool.
AGENT_ARGS=(--kafka-brokers 127.0.0.1:1 --kafka-topic hostmon-test-privs)
agent_start syscalls proc net
grep -q 'privileges dropped: no capabilities left, no_new_privs set' "$AGENT_LOG" ||
	fail "hostmond did not log that it dropped its privileges"
threads=0
for task in /proc/"$AGENT_PID"/task/*; do
	comm=$(cat "$task/comm")
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		expect_eq "$set of thread $comm" 0000000000000000 "$(awk -v s="$set:" '$1 == s { print $2 }' "$task/status")"
	done
	expect_eq "NoNewPrivs of thread $comm" 1 "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$task/status")"
	threads=$((threads + 1))
done
expect_cmp "threads checked (main, librdkafka's, the HTTP server's)" "$threads" -ge 3
# This kernel lets a process without capabilities read the maps it holds:
# the agent found so and kept none (it keeps CAP_BPF where bpf() checks it).
expect_field "$(api /health)" .capabilities none

# Work after the drop: map reads, ring buffers, the socket.
"$HELPERS/getppid_loop" "$N"
"$HELPERS/crasher" segv >/dev/null 2>&1 &
crash_pid=$!
wait "$crash_pid" || true
read -r conn_pid conn_err < <("$HELPERS/netpeer" connect 127.0.0.1 9)
expect_eq "connect errno the helper saw" 111 "$conn_err"
api /health >/dev/null
expect_status /health 200
nap 1.5
# Not agent_stop: with the broker unreachable the delivery wait takes 10 s.
kill -TERM "$AGENT_PID"
wait_child "$AGENT_PID" 20
AGENT_PID=
expect_eq "hostmond exit status after SIGTERM" 0 "$CHILD_RC"
expect_cmp "getppid calls counted after the drop" "$(sum_calls getppid)" -ge "$N"
expect_eq "process_crash events for pid $crash_pid" 1 "$(count_events process_crash ".pid == $crash_pid")"
expect_eq "refused conn_error events for pid $conn_pid" 1 \
	"$(count_events conn_error ".pid == $conn_pid and .kind == \"refused\"")"

# A config file others could have written is not trusted.
for mode in 0666 0620; do
	chmod "$mode" "$CONF"
	rc=0
	"$HOSTMOND" --config "$CONF" --check-config >"$T/check.out" 2>"$T/check.err" || rc=$?
	expect_eq "exit status with a config of mode $mode" 2 "$rc"
	grep -q "$CONF: writable by .* (mode $mode): refused" "$T/check.err" ||
		fail "mode $mode: expected a message naming $CONF and its mode, got: $(cat "$T/check.err")"
done
chmod 0644 "$CONF"
chown 65534 "$CONF"
rc=0
"$HOSTMOND" --config "$CONF" --check-config >"$T/check.out" 2>"$T/check.err" || rc=$?
expect_eq "exit status with a config owned by uid 65534" 2 "$rc"
grep -q "$CONF: owned by uid 65534, not by root: refused" "$T/check.err" ||
	fail "expected a message naming $CONF and its owner, got: $(cat "$T/check.err")"
chown 0 "$CONF"
"$HOSTMOND" --config "$CONF" --check-config >/dev/null 2>"$T/check.err" ||
	fail "a root-owned config of mode 0644 was refused: $(cat "$T/check.err")"
echo "ok: $threads threads without capabilities, work done after the drop, untrusted configs refused"
