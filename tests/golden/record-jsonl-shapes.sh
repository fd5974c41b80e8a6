#!/bin/bash
# Usage: tests/golden/record-jsonl-shapes.sh BUILD_DIR OUTDIR
#
# Runs BUILD_DIR/hostmond three times with --output jsonl:FILE and makes
# every kind of record happen, in each of the shapes the JSON-lines contract
# has (tests/golden/jsonl/RULES.md):
#   plain     1 s windows, no Kafka: slow syscalls with and without an
#             error, a refused connect, resets on a connection the agent saw
#             open and on one opened before it started (no owner: pid 0,
#             exe and cgroup null), a SIGSEGV crash, a kill -9 from another
#             process, an OOM kill in a 64 MiB memory cgroup, SIGTERM
#   kafka     the same agent with a Kafka sink (lib.sh's shared broker):
#             metrics windows with "kafka", drops.agent's Kafka and spool
#             counters, self.events_out.kafka
#   degraded  tracefs hidden and the syscall family off, so the net
#             family's fallback (syscalls: tracepoints) fails: agent_status
#             "degraded" with probes.net.error
#   nonet     the net family off: windows without connections and, without
#             detail events, pid_cache.hit_ratio null
# It writes OUTDIR/runs/{plain,kafka,degraded,nonet}.jsonl (every line as the
# agent wrote it), OUTDIR/records.jsonl (one line per kind and variant,
# copied byte for byte: jq would rewrite 0.0000 as 0) and OUTDIR/INDEX
# (line, type, variant, what made it). It fails when a variant is missing.
# Root, a kernel with BTF, python3, java (the broker); about 10 s once the
# broker runs.
set -euo pipefail

if [[ $# -ne 2 ]]; then
	echo "usage: $0 BUILD_DIR OUTDIR" >&2
	exit 2
fi
HOSTMON_BUILD=$(cd "$1" && pwd)
mkdir -p "$2/runs"
OUTDIR=$(cd "$2" && pwd)
export HOSTMON_BUILD
. "$(dirname "$0")/../integration/lib.sh"
for helper in crasher netpeer sleeper; do
	require_file "$HELPERS/$helper"
done
command -v python3 >/dev/null || fail "python3 not found (the timed-out wait and the unowned connection)"

# use_run NAME: the next agent's config, output, log, socket and spool.
use_run() {
	CONF=$T/$1.ini
	OUT=$OUTDIR/runs/$1.jsonl
	AGENT_LOG=$T/$1.log
	SOCK=$T/$1.sock
	SPOOL=$T/$1-spool
	rm -f "$OUT"
}

# A slow syscall that fails with an errno: rt_sigtimedwait gives up after
# 300 ms with -EAGAIN. (An interrupted sleep would do too, but the tracepoint
# sees the kernel's restart code, -514, before the signal makes it -EINTR.)
TIMEDWAIT='import signal
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
signal.sigtimedwait([signal.SIGUSR2], 0.3)'

# A TCP server that accepts one connection and resets it (SO_LINGER 0) when
# it gets SIGUSR1: set up before the agent starts, the connection has no
# owner the agent knows of.
RESET_ON_USR1='import signal, socket, struct, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", int(sys.argv[1])))
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
print("accepted", flush=True)
signal.sigwait([signal.SIGUSR1])
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()'

# golden_config SYSCALLS_LINE...: 1 s windows, no brownout for this
# machine's load (not the agent's), the lines given in [syscalls].
golden_config() {
	{
		printf '[agent]\ninterval = 1\nhost_id = golden-host\nmax_cpu_percent = 100\n'
		printf '[syscalls]\n'
		printf '%s\n' "$@"
	} | write_config
}

# detail_config: slow_syscall records for the scenario's 300 ms calls only.
detail_config() {
	golden_config "include = clock_nanosleep,connect,rt_sigtimedwait" "blocking = futex" \
		"slow_threshold_us = 250000"
}

# Ports of this run's own: other tests use the same namespace addresses.
PORT_OWNED=$((20000 + $$ % 20000))
PORT_UNOWNED=$((PORT_OWNED + 1))

# --- plain: every detail event, no Kafka ------------------------------------
use_run plain
detail_config
netns_pair
server_start "$NS_S" "$T/unowned-server" python3 -c "$RESET_ON_USR1" "$PORT_UNOWNED"
unowned_server=$SERVER_PID
ip netns exec "$NS_C" "$HELPERS/netpeer" reset-client "$SERVER_IP" "$PORT_UNOWNED" \
	>"$T/unowned-client" &
unowned_client=$!
track "$unowned_client"
wait_line "$T/unowned-server" accepted || fail "the unowned connection was not accepted within 5 s"

agent_start syscalls proc net
"$HELPERS/sleeper" 1 300000 300000 1 >/dev/null &
sleeper_pid=$!
wait_child "$sleeper_pid" 5
python3 -c "$TIMEDWAIT" &
timedwait_pid=$!
wait_child "$timedwait_pid" 5
read -r refused_pid _ < <("$HELPERS/netpeer" connect 127.0.0.1 9)

kill -USR1 "$unowned_server"
wait_child "$unowned_client" 5
wait_child "$unowned_server" 5
server_start "$NS_S" "$T/owned-server" "$HELPERS/netpeer" reset-server "$PORT_OWNED"
read -r owned_client _ < <(ip netns exec "$NS_C" "$HELPERS/netpeer" reset-client "$SERVER_IP" "$PORT_OWNED")
wait_child "$SERVER_PID" 5
owned_server=$(awk '$1 != "ready" { print $1 }' "$T/owned-server")

"$HELPERS/crasher" segv &
segv_pid=$!
track "$segv_pid"
wait_child "$segv_pid" 10
sleep 30 &
killed_pid=$!
track "$killed_pid"
wait_comm "$killed_pid" sleep
kill -9 "$killed_pid"
wait_child "$killed_pid" 5

oom_killed_memhog "hostmon-golden-$$"
hog_pid=$HOG_PID
nap 1.5
agent_stop

# --- kafka: the same agent with a Kafka sink --------------------------------
use_run kafka
detail_config
kafka_start golden
AGENT_ARGS=(--kafka-brokers "$BROKERS" --kafka-topic "$TOPIC")
agent_start syscalls proc net
read -r _ _ < <("$HELPERS/netpeer" connect 127.0.0.1 9)
nap 2.5
agent_stop 13	# the final deliveries may wait on a slow broker
AGENT_ARGS=()

# --- degraded: the syscall family off and no tracefs, so no net family ------
# (its fallback, the syscalls: tracepoints, attaches through tracefs)
use_run degraded
golden_config "enabled = false"
without_tracefs
agent_start proc
nap 1.5
agent_stop
AGENT_WRAP=()

# --- nonet: the net family off; no detail events -----------------------------
use_run nonet
golden_config "slow_events = false" "[net]" "enabled = false"
agent_start syscalls proc
nap 1.5
agent_stop

# --- one line per kind and variant ------------------------------------------
: >"$OUTDIR/records.jsonl"
printf 'line\ttype\tvariant\tmade by\n' >"$OUTDIR/INDEX"
picked=0

# pick RUN TYPE VARIANT WHAT JQ_CONDITION...: the first record of TYPE in
# RUN's output matching the first condition that any matches, copied as the
# agent wrote it.
pick() {
	local file=$OUTDIR/runs/$1.jsonl idx= cond
	for cond in "${@:5}"; do
		idx=$(jq -s --arg t "$2" \
			"first(to_entries[] | select(.value.type == \$t) | select(.value | $cond)) | .key" \
			"$file") || fail "jq could not search $file for variant '$3' of $2 ($cond)"
		[[ -n "$idx" ]] && break
	done
	[[ -n "$idx" ]] || fail "no $2 record for variant '$3' ($4) in $file: none matches ${*:5}"
	sed -n "$((idx + 1))p" "$file" >>"$OUTDIR/records.jsonl"
	picked=$((picked + 1))
	printf '%d\t%s\t%s\t%s\n' "$picked" "$2" "$3" "$4" >>"$OUTDIR/INDEX"
}

# Preferably a window with both an endpoint and an errnos map (a window can
# close between a refused connect's endpoint count and its syscall's exit).
pick plain metrics plain "a 1 s window without Kafka: a refused connect (endpoint, errnos)" \
	'(.connections.endpoints | length) > 0 and any(.syscalls[]; has("errnos"))' \
	'(.connections.endpoints | length) > 0'
pick kafka metrics kafka "a window with a Kafka sink (lib.sh's shared broker)" 'has("kafka")'
pick nonet metrics degraded "a window of the agent without its net family" 'true'
pick plain slow_syscall ok "sleeper: one 300 ms clock_nanosleep, ret 0" ".pid == $sleeper_pid"
pick plain slow_syscall error "python3: rt_sigtimedwait timing out after 300 ms, ret -11 (EAGAIN)" \
	".pid == $timedwait_pid and .ret < 0"
pick plain conn_error refused "netpeer connect 127.0.0.1:9" ".pid == $refused_pid"
pick plain conn_error reset_received "netpeer reset-client, reset by netpeer reset-server" \
	".pid == $owned_client and .kind == \"reset_received\""
pick plain conn_error reset_sent "netpeer reset-server (SO_LINGER 0), errno 0" \
	".pid == $owned_server and .kind == \"reset_sent\""
pick plain conn_error unowned_reset_received "a connection opened before the agent started, reset" \
	".pid == 0 and .kind == \"reset_received\" and .dport == $PORT_UNOWNED"
# The server's side of it has lost its local port (sport 0): found by the client's.
unowned_cport=$(jq -r "select(.type == \"conn_error\" and .pid == 0 and .kind == \"reset_received\" and
	.dport == $PORT_UNOWNED) | .sport" "$OUTDIR/runs/plain.jsonl" | head -n 1)
pick plain conn_error unowned_reset_sent "the same connection's reset, as its server sent it (sport 0)" \
	".pid == 0 and .kind == \"reset_sent\" and .saddr == \"$SERVER_IP\" and .dport == ${unowned_cport:-0}"
pick plain process_crash sigsegv "crasher segv: no sender" ".pid == $segv_pid"
pick plain process_crash kill9 "sleep 30 killed by kill -9 from this script: sender_pid, sender_comm" \
	".pid == $killed_pid"
pick plain process_crash oom "memhog killed by the OOM killer: oom_killed, no sender" ".pid == $hog_pid"
pick plain oom_kill memhog "memhog 1024 in a 64 MiB memory cgroup" ".pid == $hog_pid"
pick plain agent_status start "start: starting -> running" '.previous_state == "starting"'
pick plain agent_status draining "SIGTERM: running -> draining" '.state == "draining"'
pick plain agent_status stopped "SIGTERM: draining -> stopped" '.state == "stopped"'
pick degraded agent_status degraded "start without tracefs, the syscall family off: starting -> degraded, probes.net.error" \
	'.state == "degraded" and .previous_state == "starting"'
echo "$picked records in $OUTDIR/records.jsonl (index: $OUTDIR/INDEX), runs in $OUTDIR/runs"
