# Shared code of the integration tests: run the real hostmond on a generated
# config, query its JSON-lines output with jq, assert, and always clean up.
# Sourced by tests/integration/test_*.sh; HOSTMON_BUILD selects the build dir.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${HOSTMON_BUILD:-$ROOT/build}
HOSTMOND=$BUILD/hostmond
HELPERS=$BUILD/helpers
TEST_NAME=$(basename "$0" .sh)

AGENT_PID=
CLEANUP_PIDS=()
CLEANUP_CGROUPS=()
CLEANUP_CMDS=()

fail() {
	echo "FAIL [$TEST_NAME]: $*" >&2
	exit 1
}

# expect_eq WHAT EXPECTED GOT
expect_eq() {
	[[ "$2" == "$3" ]] || fail "$1: expected '$2', got '$3'"
}

# expect_cmp WHAT GOT OP BOUND: integer test, OP one of -eq -ne -lt -le -gt -ge.
expect_cmp() {
	[[ "$2" =~ ^-?[0-9]+$ ]] || fail "$1: expected an integer $3 $4, got '$2'"
	[ "$2" "$3" "$4" ] || fail "$1: expected $3 $4, got $2"
}

# expect_within_pct WHAT EXPECTED GOT PCT: |GOT - EXPECTED| <= PCT% of EXPECTED.
expect_within_pct() {
	[[ "$3" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "$1: expected a number near $2, got '$3'"
	local off
	off=$(jq -rn --argjson e "$2" --argjson g "$3" '(($g - $e) / $e * 10000 | round) / 100')
	jq -en --argjson o "$off" --argjson p "$4" '($o | fabs) <= $p' >/dev/null ||
		fail "$1: expected $2 ± $4%, got $3 (off by $off%)"
}

require_root() {
	[[ $EUID -eq 0 ]] || fail "must run as root (loads BPF programs, creates cgroups); running as uid $EUID"
}

require_file() {
	[[ -x "$1" ]] || fail "$1 not found or not executable: build it first: make integration"
}

# nap SECONDS: waits without a clock_nanosleep syscall (read -t uses pselect6),
# so the tests' own polling never shows up in a nanosleep latency histogram.
nap() {
	read -rt "$1" -u "$NAP_FD" || true
}

# proc_exited PID: true once PID is gone or a zombie (kill -0 succeeds on zombies).
proc_exited() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 0
	stat=${stat##*) }
	[[ ${stat%% *} == Z ]]
}

# wait_child PID TIMEOUT_S: waits for a child of this shell; CHILD_RC gets its status.
wait_child() {
	local pid=$1 i
	for ((i = 0; i < $2 * 20; i++)); do
		proc_exited "$pid" && break
		nap 0.05
	done
	proc_exited "$pid" || fail "pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) still running after $2 s"
	CHILD_RC=0
	wait "$pid" || CHILD_RC=$?
}

# wait_comm PID COMM: waits (at most 2.5 s) until PID runs as COMM, e.g. a
# child that is still the forking shell until it has exec'd.
wait_comm() {
	local i
	for ((i = 0; i < 50; i++)); do
		[[ $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]] && return 0
		nap 0.05
	done
	fail "pid $1 does not run as $2 after 2.5 s: $(cat "/proc/$1/comm" 2>/dev/null)"
}

# Kafka brokers for the tests, one policy: the shared development broker
# (tools/kafka-local, 127.0.0.1:9092) is started when missing and left running
# for the next test (tests/run-all stops it at the end if it started it);
# a private broker (its own ports, data under $T) is the test's alone and is
# stopped at exit.
KAFKA_LOCAL=$ROOT/tools/kafka-local

# kafka_start NAME: the shared broker, BROKERS its address, TOPIC a topic of this run's own.
kafka_start() {
	"$KAFKA_LOCAL" start >"$T/kafka-start.out" 2>"$T/kafka-start.err" ||
		fail "tools/kafka-local start failed: $(tail -n 20 "$T/kafka-start.err")"
	BROKERS=$(tail -n 1 "$T/kafka-start.out")
	TOPIC=hostmon-test-$1-$$-$RANDOM
}

# private_kafka CMD...: tools/kafka-local CMD on this test's private broker:
# ports PRIVATE_PORT (19292) and the next, data under $T/kafka, PRIVATE_PROPS'
# lines added to its server.properties, PRIVATE_PROBE_ARGS for its readiness probe.
private_kafka() {
	KAFKA_LOCAL_PORT=${PRIVATE_PORT:-19292} KAFKA_LOCAL_CONTROLLER_PORT=$((${PRIVATE_PORT:-19292} + 1)) \
		KAFKA_LOCAL_DATA=$T/kafka KAFKA_LOCAL_SERVER_PROPS=${PRIVATE_PROPS:-} \
		KAFKA_LOCAL_PROBE_ARGS=${PRIVATE_PROBE_ARGS:-} "$KAFKA_LOCAL" "$@"
}

# private_broker_start [PROPS_FILE]: starts the private broker (killed at
# exit: its data goes with $T, and a graceful stop can take longer than the
# 10 s a timed-out test is given before it is killed itself, which would
# leave the broker holding its ports); PRIVATE_BROKERS gets its address. The
# shared broker is not touched.
private_broker_start() {
	PRIVATE_PROPS=${1:-${PRIVATE_PROPS:-}}
	on_exit 'kill -9 "$(cat "$T/kafka/kafka.pid")"'
	private_kafka start >"$T/private-start.out" 2>"$T/private-start.err" ||
		fail "private broker did not start: $(tail -n 20 "$T/private-start.err")"
	PRIVATE_BROKERS=$(tail -n 1 "$T/private-start.out")
}

# track PID: killed (SIGKILL) at exit if still running.
track() {
	CLEANUP_PIDS+=("$1")
}

# on_exit CMD: a shell command run at exit (failures ignored).
on_exit() {
	CLEANUP_CMDS+=("$1")
}

# write_config: the generated hostmond config, from stdin.
write_config() {
	cat >"$CONF"
}

# one_second_windows: the test config with 1 s windows, for tests that read
# windows from the stats socket.
one_second_windows() {
	write_config <<-EOF
		[agent]
		interval = 1
		host_id = hostmon-test
	EOF
}

# agent_start FAMILY...: starts hostmond on $CONF (a default config when the
# test wrote none) writing to $OUT, waits for its first agent_status record
# (state running or degraded) and requires the probe families the test relies
# on (syscalls, proc) to be attached. The Kafka spool is $SPOOL, the test's
# own (AGENT_ARGS may name another).
agent_start() {
	[[ -f "$CONF" ]] || write_config <<-EOF
		[agent]
		interval = 60
		host_id = hostmon-test
	EOF
	# A sanitizer build's RSS (shadow memory, redzones: about 90 MiB at start)
	# is not the product's: its memory bound is raised unless the test sets one.
	local bound=()
	[[ -f "$BUILD/sanitizers" ]] && ! grep -q '^[[:space:]]*max_rss_mb' "$CONF" &&
		bound=(--max-rss-mb 1024)
	# Under qemu's software emulation (the kernel matrix, HOSTMON_EMULATED=1)
	# every instruction costs tens of times its native time, and a sanitizer
	# build several times: the agent's CPU budget (2% of a core) would shed
	# detail events the test waits for, so it is raised there unless the test
	# sets one.
	[[ ${HOSTMON_EMULATED:-} == 1 || -f "$BUILD/sanitizers" ]] &&
		! grep -q '^[[:space:]]*max_cpu_percent' "$CONF" && bound+=(--max-cpu-percent 100)
	"${AGENT_WRAP[@]}" "$HOSTMOND" --config "$CONF" --output "jsonl:$OUT" --socket "$SOCK" \
		--spool-dir "$SPOOL" --log-level debug "${bound[@]}" "${AGENT_ARGS[@]}" 2>"$AGENT_LOG" &
	AGENT_PID=$!
	local i status=
	for ((i = 0; i < 300; i++)); do
		# Not first(inputs | fromjson? | ...): in jq 1.6 the try of fromjson? catches
		# the break first() ends with, so under load it printed every agent_status.
		status=$(jq -cRn '[inputs | fromjson? | select(.type == "agent_status")][0] // empty' \
			"$OUT" 2>/dev/null || true)
		[[ -n "$status" ]] && break
		if proc_exited "$AGENT_PID"; then
			wait_child "$AGENT_PID" 1
			AGENT_PID=
			fail "hostmond exited with status $CHILD_RC before it was ready"
		fi
		nap 0.1
	done
	[[ -n "$status" ]] || fail "hostmond wrote no agent_status record within 30 s"
	local family
	for family in "$@"; do
		[[ $(field "$status" ".probes.$family.state") == attached ]] ||
			fail "first agent_status: expected probes.$family.state attached, got $status"
	done
}

# agent_stop [SECONDS]: SIGTERM, at most SECONDS (5) to exit, exit status 0;
# then every output line must be a JSON object. A Kafka sink with records
# left waits up to 10 s for the broker: give it 13.
agent_stop() {
	[[ -n "$AGENT_PID" ]] || fail "agent_stop: hostmond not running"
	kill -TERM "$AGENT_PID"
	wait_child "$AGENT_PID" "${1:-5}"
	AGENT_PID=
	expect_eq "hostmond exit status after SIGTERM" 0 "$CHILD_RC"
	jq -e 'type == "object"' "$OUT" >/dev/null ||
		fail "output $OUT has a line that is not a JSON object"
	[[ ! -s "$OUT" || $(tail -c 1 "$OUT" | od -An -c | tr -d ' ') == '\n' ]] ||
		fail "output $OUT does not end with a whole line"
	log_checked "$AGENT_LOG"
}

# log_checked FILE: every line of hostmond's log FILE is one record as
# docs/errors.md describes (ts, level, component, code on warnings and errors,
# quoted msg), and every code in it has a row in docs/errors.md.
log_checked() {
	local bad code
	bad=$(grep -Evn '^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z level=(error|warn|info|debug) component=[a-z_]+ (code=HM[0-9]{3} )?msg="' "$1" | head -n 3 || true)
	[[ -z "$bad" ]] || fail "$1: lines that are not log records: $bad"
	bad=$(grep -En '^ts=[^ ]* level=(error|warn) ' "$1" | grep -Ev ' code=HM[0-9]{3} msg=' | head -n 3 || true)
	[[ -z "$bad" ]] || fail "$1: warnings or errors without a code: $bad"
	for code in $(grep -oE ' code=HM[0-9]{3} ' "$1" | sort -u || true); do
		code=${code#*=}
		grep -q "^| ${code% } |" "$ROOT/docs/errors.md" ||
			fail "$1: code ${code% } logged but not in docs/errors.md"
	done
}

# memory_checked: for a test that bounds the agent's memory; call before
# agent_start. A sanitizer build (make SANITIZE=1, which leaves
# $BUILD/sanitizers) does not have the product's memory figures: there freed
# memory is released at once instead of waiting in AddressSanitizer's
# quarantine, and MEM_FACTOR (2 there, 1 on a plain build) scales the test's
# bounds for shadow memory and redzones.
memory_checked() {
	MEM_FACTOR=1
	[[ -f "$BUILD/sanitizers" ]] || return 0
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0
	MEM_FACTOR=2
}

# wait_health JQ_CONDITION SECONDS: until GET /health matches; HEALTH gets it.
wait_health() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		HEALTH=$(api /health)
		jq -e "$1" <<<"$HEALTH" >/dev/null && return 0
		nap 0.1
	done
	fail "/health did not match '$1' within $2 s: $(field "$HEALTH" .kafka)"
}

# api [CURL OPTIONS...] PATH: the body of a request to the agent's stats
# socket; the HTTP status goes to $T/status.
api() {
	local path=${*: -1}
	curl -sS --max-time 10 --unix-socket "$SOCK" -o "$T/body" -w '%{http_code}' \
		"${@:1:$#-1}" "http://hostmon$path" >"$T/status" || fail "curl $path failed"
	cat "$T/body"
}

# wait_window: waits (at most 10 s) until GET /stats has a window newer than
# any seen before; WINDOW gets it.
wait_window() {
	local i seq
	for ((i = 0; i < 100; i++)); do
		WINDOW=$(api /stats)
		if [[ $(cat "$T/status") == 200 ]]; then
			seq=$(field "$WINDOW" .seq)
			((seq > ${LAST_WINDOW_SEQ:-0})) && LAST_WINDOW_SEQ=$seq && return 0
		fi
		nap 0.1
	done
	fail "no new window on GET /stats within 10 s (last status $(cat "$T/status"))"
}

# expect_status WHAT CODE: the HTTP status of the last api call.
expect_status() {
	expect_eq "HTTP status of $1" "$2" "$(cat "$T/status")"
}

# q [JQ OPTIONS...] FILTER: runs FILTER over the array of all output records.
# Only the lines complete when it starts: while the agent runs, the file can
# end in half a record (agent_stop checks that the finished file does not).
q() {
	head -n "$(wc -l <"$OUT")" "$OUT" | jq -sr "$@"
}

# sum_calls SYSCALL: calls of SYSCALL summed over every metrics window.
sum_calls() {
	q --arg s "$1" '[.[] | select(.type == "metrics") | .syscalls[]? |
		select(.syscall == $s) | .calls] | add // 0'
}

# expect_sleeper_p95 MEASURED N: the final metrics window has at least N
# clock_nanosleep calls and their p95 within 3% of MEASURED, the p95 the
# sleeper helper measured itself.
expect_sleeper_p95() {
	local window
	window=$(q -c '[.[] | select(.type == "metrics")] | last |
		.syscalls[]? | select(.syscall == "clock_nanosleep")')
	[[ -n "$window" ]] || fail "final metrics window has no clock_nanosleep entry"
	expect_cmp "clock_nanosleep calls in the final window" "$(field "$window" .calls)" -ge "$2"
	echo "p95: helper measured $1 ns, hostmond reports $(field "$window" .p95_ns) ns"
	expect_within_pct "clock_nanosleep p95_ns vs the helper's measured p95" \
		"$1" "$(field "$window" .p95_ns)" 3
}

# segv_crashes N: N crasher processes, one after the other, each dying of
# SIGSEGV (exit status 139 checked); their pids in CRASHED, in order.
segv_crashes() {
	local i
	CRASHED=()
	for ((i = 0; i < $1; i++)); do
		"$HELPERS/crasher" segv &
		CRASHED+=($!)
		track "${CRASHED[-1]}"
		wait_child "${CRASHED[-1]}" 10
		expect_eq "crasher segv exit status" 139 "$CHILD_RC"
	done
}

# sum_metric PATH...: a metrics field (jq path as arguments) summed over every window.
sum_metric() {
	q --argjson p "$(printf '%s\n' "$@" | jq -Rn '[inputs]')" \
		'[.[] | select(.type == "metrics") | getpath($p) // 0] | add // 0'
}

# events_counted SINK: the agent's own counts against its JSON lines. Summed
# over every window, self.events_in and self.events_out.SINK hold, per kind,
# the lines written before the last window (that window counts itself in, and
# each earlier window out); the socket keeps no metrics records.
events_counted() {
	local lines
	lines=$(q -c --arg sink "$1" '(map(select(.type == "metrics")) | last.seq) as $last |
		[.[] | select(.seq < $last) | .type] as $before |
		[.[] | select(.type == "metrics") | .self] as $w |
		["slow_syscall", "conn_error", "process_crash", "oom_kill", "metrics", "agent_status"][] |
		. as $k | [($before | map(select(. == $k)) | length),
			($w | map(.events_in[$k]) | add), ($w | map(.events_out[$sink][$k]) | add)] |
		"\($k) \(.[0]) \(.[1]) \(.[2])"')
	local k lines_k in_k out_k want_in
	while read -r k lines_k in_k out_k; do
		want_in=$lines_k
		[[ $k == metrics ]] && want_in=$((lines_k + 1))
		expect_eq "events_in.$k over the windows vs $k lines" "$want_in" "$in_k"
		[[ $1 == socket && $k == metrics ]] && lines_k=0
		expect_eq "events_out.$1.$k over the windows vs $k lines" "$lines_k" "$out_k"
	done <<<"$lines"
}

# events TYPE [JQ CONDITION]: the records of TYPE matching CONDITION, one per line.
events() {
	q -c ".[] | select(.type == \"$1\") | select(${2:-true})"
}

count_events() {
	q "[.[] | select(.type == \"$1\") | select(${2:-true})] | length"
}

# one_event TYPE CONDITION: the only matching record (fails unless exactly one).
one_event() {
	local n
	n=$(count_events "$1" "$2")
	expect_eq "number of $1 records with $2" 1 "$n"
	events "$1" "$2"
}

# field JSON JQ_FILTER: one field of a record, as jq -r prints it.
field() {
	jq -r "$2" <<<"$1"
}

# expect_field JSON JQ_FILTER EXPECTED: e.g. expect_field "$ev" .signal 11
expect_field() {
	expect_eq "$(field "$1" .type) $2 (in $1)" "$3" "$(field "$1" "$2")"
}

# detail_events_config: 1 s windows; slow_syscall events from the helpers'
# sleeps of 250 ms or more (clock_nanosleep, not "blocking" here); every
# conn_error sent (no per-second cap); no brownout for this machine's CPU
# load, which is not the agent's own.
detail_events_config() {
	write_config <<-EOF
		[agent]
		interval = 1
		host_id = hostmon-test
		max_cpu_percent = 100
		[syscalls]
		include = clock_nanosleep
		blocking = futex
		slow_threshold_us = 250000
		[net]
		events_per_sec = 0
	EOF
}

# expect_own_exe PID EXE REFUSED: PID's REFUSED (> 0) refused connects are as
# many conn_error records, none naming another exe than EXE, and its
# slow_syscall records (one at least) name EXE too.
expect_own_exe() {
	expect_cmp "connects refused for pid $1" "$3" -gt 0
	expect_eq "conn_error records of pid $1 (net drops over the run: $(q -c '[.[] | select(.type == "metrics") | .drops.net // {} | to_entries[] | select(.value > 0)]'))" \
		"$3" "$(count_events conn_error ".pid == $1")"
	expect_eq "conn_error records of pid $1 not naming $2" 0 \
		"$(count_events conn_error ".pid == $1 and .exe != \"$2\"")"
	expect_cmp "slow_syscall records of pid $1 naming $2" \
		"$(count_events slow_syscall ".pid == $1 and .exe == \"$2\"")" -ge 1
	expect_eq "slow_syscall records of pid $1 not naming $2" 0 \
		"$(count_events slow_syscall ".pid == $1 and .exe != \"$2\"")"
}

# has_word WORD FILE: FILE (a cgroup list such as cgroup.controllers) contains WORD.
has_word() {
	local words
	words=$(cat "$2" 2>/dev/null) || return 1
	[[ " $words " == *" $1 "* ]]
}

# cgroup_memory_create NAME LIMIT_BYTES: a memory cgroup (v1 hierarchy if
# mounted, else cgroup v2) without swap, in CGROUP_DIR. Removed at exit.
cgroup_memory_create() {
	local dir base
	if [[ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]]; then
		dir=/sys/fs/cgroup/memory/$1
		mkdir "$dir" && CLEANUP_CGROUPS+=("$dir")
		echo "$2" >"$dir/memory.limit_in_bytes"
		echo "$2" >"$dir/memory.memsw.limit_in_bytes" 2>/dev/null || true
	else
		for base in /sys/fs/cgroup /sys/fs/cgroup/unified ""; do
			[[ -n "$base" ]] || fail "no memory cgroup controller (v1 or v2) found"
			has_word memory "$base/cgroup.controllers" && break
		done
		if ! has_word memory "$base/cgroup.subtree_control"; then
			echo +memory >"$base/cgroup.subtree_control"
			on_exit "echo -memory >'$base/cgroup.subtree_control'"
		fi
		dir=$base/$1
		mkdir "$dir" && CLEANUP_CGROUPS+=("$dir")
		echo "$2" >"$dir/memory.max"
		echo 0 >"$dir/memory.swap.max" 2>/dev/null || true
	fi
	CGROUP_DIR=$dir
}

# oom_killed_memhog NAME: memhog run in a new 64 MiB memory cgroup NAME
# (CGROUP_DIR) until the OOM killer kills it (at most 30 s); HOG_PID its pid.
oom_killed_memhog() {
	require_file "$HELPERS/memhog"
	cgroup_memory_create "$1" $((64 << 20))
	(echo "$BASHPID" >"$CGROUP_DIR/cgroup.procs" && exec "$HELPERS/memhog" 1024) &
	HOG_PID=$!
	track "$HOG_PID"
	wait_child "$HOG_PID" 30
	expect_eq "memhog exit status (SIGKILL from the OOM killer)" 137 "$CHILD_RC"
}

# without_tracefs: the next agent_start runs hostmond where tracefs cannot be
# mounted (/sys/kernel hidden in a private mount namespace, only the
# kernel's BTF put back), so what attaches through tracefs fails: the net
# family's syscalls: tracepoints, its fallback when the syscall family is off.
without_tracefs() {
	cp /sys/kernel/btf/vmlinux "$T/vmlinux.btf"
	cat >"$T/no-tracefs" <<-EOF_WRAP
		#!/bin/bash
		set -e
		mount --make-rprivate /
		mount -t tmpfs hostmon-test /sys/kernel
		mkdir /sys/kernel/btf
		cp "$T/vmlinux.btf" /sys/kernel/btf/vmlinux
		exec "\$@"
	EOF_WRAP
	chmod +x "$T/no-tracefs"
	AGENT_WRAP=(unshare -m "$T/no-tracefs")
}

# netns_pair: two network namespaces, $NS_C (client) and $NS_S (server),
# joined by a veth pair: $CLIENT_IP/$SERVER_IP and $CLIENT_IP6/$SERVER_IP6.
# Both (and with them the veth) are removed at exit.
netns_pair() {
	NS_C=hm-c-$$
	NS_S=hm-s-$$
	CLIENT_IP=10.201.0.1
	SERVER_IP=10.201.0.2
	CLIENT_IP6=fd00:201::1
	SERVER_IP6=fd00:201::2
	ip netns add "$NS_C" && on_exit "ip netns del $NS_C"
	ip netns add "$NS_S" && on_exit "ip netns del $NS_S"
	ip link add veth0 netns "$NS_C" type veth peer name veth0 netns "$NS_S"
	ns_addrs "$NS_C" "$CLIENT_IP" "$CLIENT_IP6"
	ns_addrs "$NS_S" "$SERVER_IP" "$SERVER_IP6"
}

# ns_addrs NS IPV4 IPV6: addresses on veth0 (IPv6 without duplicate detection), links up.
ns_addrs() {
	ip -n "$1" addr add "$2/24" dev veth0
	ip -n "$1" addr add "$3/64" dev veth0 nodad
	ip -n "$1" link set lo up
	ip -n "$1" link set veth0 up
}

# exits_run: makes what only the net family's connect() and accept() exits
# report (bpf/net_core.bpf.h), while the agent runs: a connected UDP socket
# refused (its owner), a connect failing at once in a namespace without
# routes (ENETUNREACH, its destination from the sockaddr), a reset sent on an
# accepted socket (its owner). exits_checked asserts on them after agent_stop.
exits_run() {
	local ns=hm-exits-$$
	read -r EXITS_UDP_PID _ < <("$HELPERS/netpeer" udp 127.0.0.1 9)
	ip netns add "$ns" && on_exit "ip netns del $ns"
	read -r EXITS_UNREACH_PID EXITS_UNREACH_ERR < \
		<(ip netns exec "$ns" "$HELPERS/netpeer" connect 192.0.2.1 80)
	server_start "" "$T/exits-server" "$HELPERS/netpeer" reset-server 18093
	read -r _ _ < <("$HELPERS/netpeer" reset-client 127.0.0.1 18093)
	wait_child "$SERVER_PID" 5
	EXITS_SERVER_PID=$(awk '$1 != "ready" { print $1 }' "$T/exits-server")
}

exits_checked() {
	local ev
	ev=$(one_event conn_error ".pid == $EXITS_UDP_PID")
	expect_field "$ev" .protocol udp
	expect_field "$ev" .kind refused
	expect_eq "errno of the connect without a route" 101 "$EXITS_UNREACH_ERR"
	ev=$(one_event conn_error ".pid == $EXITS_UNREACH_PID")
	expect_field "$ev" .kind unreachable
	expect_field "$ev" .error ENETUNREACH
	expect_field "$ev" .daddr 192.0.2.1
	expect_field "$ev" .dport 80
	expect_field "$ev" .connect true
	ev=$(one_event conn_error '.kind == "reset_sent" and .sport == 18093')
	expect_field "$ev" .pid "$EXITS_SERVER_PID"
	expect_field "$ev" .comm netpeer
}

# agent_perf_attachments: the agent's programs attached through perf events
# or raw tracepoints (bpftool perf list), "TYPE NAME" a line, sorted.
agent_perf_attachments() {
	command -v bpftool >/dev/null || fail "bpftool not found"
	bpftool perf list -j | jq -r --argjson pid "$AGENT_PID" \
		'.[] | select(.pid == $pid) | "\(.fd_type) \(.tracepoint // .func // "?")"' | sort
}

# server_start NS READY_FILE CMD...: runs CMD in namespace NS (or the host's if
# NS is empty), its output in READY_FILE, and waits for its "ready" line.
# SERVER_PID is its pid; killed at exit.
server_start() {
	local ns=$1 ready=$2
	shift 2
	if [[ -n "$ns" ]]; then
		ip netns exec "$ns" "$@" >"$ready" &
	else
		"$@" >"$ready" &
	fi
	SERVER_PID=$!
	track "$SERVER_PID"
	wait_line "$ready" ready || fail "server $* not ready within 5 s"
}

# wait_line FILE LINE: waits (at most 5 s) until FILE has the line LINE; false if it never comes.
wait_line() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -qx -- "$2" "$1" 2>/dev/null && return 0
		nap 0.05
	done
	return 1
}

# spool_records DIR: prints how many records the spool segments in DIR hold,
# after checking their format (agent/sinks/spool_format.h): magic "HMS2" (32-byte header)
# or "HMS1" (12 bytes, older agents), u32 LE payload length, ..., payload.
spool_records() {
	local seg size off len magic hdr records=0
	for seg in "$1"/*.seg; do
		[[ -f $seg ]] || continue
		size=$(stat -c %s "$seg")
		off=0
		while ((off + 12 <= size)); do
			magic=$(dd if="$seg" bs=1 skip=$off count=4 status=none)
			case $magic in
			HMS2) hdr=32 ;;
			HMS1) hdr=12 ;;
			*) expect_eq "magic at offset $off of $seg" "HMS2 or HMS1" "$magic" ;;
			esac
			len=$(od -An -tu4 -j $((off + 4)) -N4 "$seg" | tr -d ' ')
			off=$((off + hdr + len))
			records=$((records + 1))
		done
		expect_eq "end of the last record in $seg" "$size" "$off"
	done
	echo "$records"
}

# cgroup2_root: where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or
# /sys/fs/cgroup/unified on a hybrid host).
cgroup2_root() {
	awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo
}

# cgroup2_make PATH: the cgroup directory PATH (v2, or a v1 hierarchy's) and its missing parents,
# removed at exit, children first.
cgroup2_make() {
	local path=$1 made=()
	while [[ ! -d "$path" ]]; do
		made=("$path" "${made[@]}")
		path=$(dirname "$path")
	done
	mkdir -p "$1"
	local i
	for ((i = 0; i < ${#made[@]}; i++)); do CLEANUP_CGROUPS=("${made[i]}" "${CLEANUP_CGROUPS[@]}"); done
}

cgroup_remove() {
	local dir=$1 pid i
	for ((i = 0; i < 50; i++)); do
		while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$dir/cgroup.procs"
		rmdir "$dir" 2>/dev/null && return 0
		nap 0.1
	done
	echo "cleanup: could not remove cgroup $dir" >&2
}

cleanup() {
	local rc=$? pid dir cmd
	set +e
	for pid in "${CLEANUP_PIDS[@]}" $AGENT_PID; do
		kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	for dir in "${CLEANUP_CGROUPS[@]}"; do cgroup_remove "$dir"; done
	for cmd in "${CLEANUP_CMDS[@]}"; do eval "$cmd" 2>/dev/null; done
	cd /
	if ((rc != 0)) && [[ -f "$AGENT_LOG" ]]; then
		echo "--- hostmond stderr (last 20 lines) ---" >&2
		tail -n 20 "$AGENT_LOG" >&2 2>/dev/null
		echo "--- output records by type ---" >&2
		jq -rR 'fromjson? | .type' "$OUT" 2>/dev/null | sort | uniq -c >&2
	fi
	[[ -n "${KEEP_TMP:-}" ]] && echo "kept $T" >&2 || rm -rf "$T"
	exit "$rc"
}

T=$(mktemp -d /tmp/hostmon-test.XXXXXX)
CONF=$T/hostmon.ini
OUT=$T/out.jsonl
AGENT_LOG=$T/hostmond.log
SOCK=$T/hostmon.sock
SPOOL=$T/spool
AGENT_ARGS=()
AGENT_WRAP=()	# a command hostmond runs under (it must exec its arguments)
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
exec {NAP_FD}<> <(:)
# Crashing helpers run here, without core files unless a test asks for them.
cd "$T"
ulimit -Sc 0

require_root
require_file "$HOSTMOND"
