#!/bin/bash
# What the whole agent costs a traced program: ns per raw getppid() call in a
# tight loop pinned to one CPU, under each of: no tracing; the floor (empty
# programs on raw_syscalls sys_enter/sys_exit); hostmond with its syscall
# family alone; hostmond as installed (default config: every family, JSON
# lines to a file, no Kafka); libbpf-tools' syscount -L; bpftrace's hist() of
# syscall latency. The overhead of a mode is its ns per call minus no
# tracing's, and its ratio that overhead over the floor's, computed per round
# and reported as medians.
#
# Modes run interleaved, one phase each per round, the order rotated each
# round so drift lands on every mode alike. A phase starts its tracer on the
# other CPUs, waits until its programs are attached (hostmond: /health on its
# socket says every family it runs is attached; syscount, bpftrace: their
# programs on sys_enter and sys_exit in `bpftool perf`), times the loop,
# checks the tracer is still alive and attached, stops it and waits until its
# programs are freed. A program of anyone else's on a syscall tracepoint
# would run in every mode: phases wait for the hooks to be free, and a phase
# that sees one at its start or end is run again (one that comes and goes
# within a phase, under a second, is not seen). hostmond must have counted every timed
# call in the records it wrote (its last window is written when it stops).
#
# It reports; it does not fail on a missed goal. It fails (exit 1) when a
# tracer cannot start or stop, or a measurement is invalid.
# Usage: tests/bench/agent_overhead.sh BUILD_DIR [ROUNDS [CALLS]]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
rounds=${2:-11}
calls=${3:-3000000}
me=agent_overhead
modes=(none floor syscalls agent noworkloads thread syscount bpftrace)
goal_floor=2.0		# whole agent's ratio at most this
goal_syscount=0.5	# and at most this fraction of syscount's
quiet_wait=300		# seconds a round waits for others' programs to go
phase_runs=8		# runs of a phase that keeps seeing others' programs, at most
start_wait=30		# seconds for a tracer to attach
stop_wait=15		# seconds for a tracer to exit and its programs to be freed
cpu=$(($(nproc) - 1))	# the loop's CPU; the tracers run on the others
others=0-$((cpu > 0 ? cpu - 1 : 0))
bt_prog='tracepoint:raw_syscalls:sys_enter { @s[tid] = nsecs }
tracepoint:raw_syscalls:sys_exit /@s[tid]/ { @h = hist(nsecs - @s[tid]); delete(@s[tid]); }'

tmp=$(mktemp -d /tmp/hostmon-bench.XXXXXX)
tracer=		# pid of the running tracer, if any
cleanup() {
	if [[ -n $tracer ]]; then
		kill -KILL "$tracer" 2>/dev/null || true
	fi
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

fail() {
	echo "$me: $*" >&2
	exit 1
}

for tool in /usr/sbin/syscount /usr/bin/bpftrace bpftool jq curl taskset; do
	command -v "$tool" >/dev/null || fail "$tool missing (tools/install-deps)"
done
for f in hostmond bench/getppid_ns bench/floor_hold; do
	[[ -x $build/$f ]] || fail "$build/$f missing (make bench-build)"
done
[[ $(id -u) == 0 ]] || fail "loading BPF programs needs root"
[[ $rounds =~ ^[1-9][0-9]*$ && $calls =~ ^[1-9][0-9]*$ ]] ||
	fail "ROUNDS and CALLS are positive integers"

# Programs on the syscall tracepoints (sys_enter, sys_exit and the
# per-syscall sys_enter_*/sys_exit_*, which switch on the same per-syscall
# work), one "PID PROG_ID TRACEPOINT" line each; "- PROG_ID TRACEPOINT" for a
# raw tracepoint link no process holds (pinned). Exits with the script when
# bpftool keeps failing: call it in no subshell.
hook_users() {
	local perf links

	bpftool_json perf
	bpftool_json link
	perf=$(cat "$tmp/perf.json")
	links=$(cat "$tmp/link.json")
	jq -rn --argjson perf "${perf:-[]}" --argjson links "${links:-[]}" '
		def hook: test("^sys_(enter|exit)(_|$)");
		($perf | map(select(.tracepoint // "" | hook))) as $p
		| ($p[] | "\(.pid) \(.prog_id) \(.tracepoint)"),
		  ($links[] | select(.type == "raw_tracepoint" and (.tp_name // "" | hook))
			| select(.prog_id as $id | $perf | all(.prog_id != $id))
			| "- \(.prog_id) \(.tp_name)")' ||
		fail "cannot read bpftool's lists: $(head -c 300 "$tmp/perf.json" "$tmp/link.json")"
}

# bpftool_json WHAT: `bpftool -j WHAT show` into $tmp/WHAT.json. It fails
# when an object goes between its listing and its reading (others' tracers
# come and go): tried again a few times.
bpftool_json() {
	local try

	for ((try = 1; try <= 5; try++)); do
		# An error is a JSON object on stdout; a list is what we read.
		timeout 20 bpftool -j "$1" show >"$tmp/$1.json" 2>"$tmp/bpftool.err" &&
			jq -e 'type == "array"' "$tmp/$1.json" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	fail "bpftool $1 show failed 5 times: $(cat "$tmp/$1.json" "$tmp/bpftool.err" | head -c 300)"
}

# foreign [PID]: true when someone other than PID has programs on the hooks
# (listed in $tmp/foreign).
foreign() {
	hook_users >"$tmp/users"
	awk -v pid="${1:-none}" '$1 != pid' "$tmp/users" >"$tmp/foreign"
	[[ -s $tmp/foreign ]]
}

# attached PID: true once PID has programs on both sys_enter and sys_exit
# (its programs on the hooks listed in $tmp/progs).
attached() {
	hook_users >"$tmp/users"
	awk -v pid="$1" '$1 == pid { print; if ($3 == "sys_enter") e = 1; if ($3 == "sys_exit") x = 1 }
		END { exit !(e && x) }' "$tmp/users" >"$tmp/progs"
}

alive() {
	kill -0 "$1" 2>/dev/null
}

health_ok() {	# FAMILY_FILTER: hostmond running and those families attached
	curl -sf --max-time 2 --unix-socket "$tmp/hostmon.sock" http://localhost/health 2>/dev/null |
		jq -e --arg f "$1" '.state == "running" and
			(.probes | to_entries | map(select(.key | test($f))) |
			 length > 0 and all(.value.state == "attached"))' >/dev/null
}

# ready MODE: true once the tracer started for MODE has attached everything.
ready() {
	case $1 in
	floor) grep -q '^floor: attached' "$tmp/$1.log" ;;
	syscalls) health_ok '^syscalls$' ;;
	agent | noworkloads | thread) health_ok . ;;
	bpftrace) grep -q '^Attaching' "$tmp/$1.log" ;;
	*) true ;;
	esac && attached "$tracer"
}

# start MODE: starts its tracer on the other CPUs; returns once it is attached.
start() {
	local mode=$1 t cmd
	local agent=("$build/hostmond" --output "jsonl:$tmp/agent.jsonl" --socket "$tmp/hostmon.sock"
		--log-level warn)

	case $mode in
	floor) cmd=("$build/bench/floor_hold") ;;
	syscalls) cmd=("${agent[@]}" --set proc.enabled=false --set net.enabled=false) ;;
	agent) cmd=("${agent[@]}") ;;
	# The default agent without RED per workload: what [workloads] costs.
	noworkloads) cmd=("${agent[@]}" --set workloads.enabled=false) ;;
	# The default agent on the path it takes without task storage (5.10).
	thread) cmd=(env HOSTMON_FEATURES_OFF=task_storage,task_btf "${agent[@]}") ;;
	syscount) cmd=(/usr/sbin/syscount -L) ;;
	bpftrace) cmd=(/usr/bin/bpftrace -e "$bt_prog") ;;
	esac
	rm -f "$tmp/agent.jsonl" "$tmp/hostmon.sock"
	: >"$tmp/$mode.log"	# ready reads it before the tracer may have opened it
	taskset -c "$others" "${cmd[@]}" >"$tmp/$mode.log" 2>&1 &
	tracer=$!
	for ((t = 0; t < start_wait * 10; t++)); do
		alive "$tracer" || fail "$mode exited before attaching: $(tail -n 5 "$tmp/$mode.log")"
		ready "$mode" && return 0
		sleep 0.1
	done
	fail "$mode not attached within ${start_wait}s: $(tail -n 5 "$tmp/$mode.log")"
}

# stop MODE: stops its tracer, bounded, and waits until its programs are freed.
stop() {
	local mode=$1 t id ids rc=0

	ids=$(awk '{ print $2 }' "$tmp/progs")
	kill -INT "$tracer" 2>/dev/null || true
	for ((t = 0; t < stop_wait * 10; t++)); do
		alive "$tracer" || break
		sleep 0.1
	done
	if alive "$tracer"; then
		kill -KILL "$tracer" 2>/dev/null || true
		wait "$tracer" 2>/dev/null || true
		tracer=
		fail "$mode did not stop within ${stop_wait}s of SIGINT"
	fi
	wait "$tracer" || rc=$?
	tracer=
	((rc == 0)) || fail "$mode exited $rc on SIGINT: $(tail -n 5 "$tmp/$mode.log")"
	for id in $ids; do
		for ((t = 0; t < stop_wait * 10; t++)); do
			bpftool prog show id "$id" >/dev/null 2>&1 || break
			sleep 0.1
		done
		bpftool prog show id "$id" >/dev/null 2>&1 &&
			fail "$mode stopped but its program $id is still loaded"
	done
	return 0
}

# counted: getppid calls in the records hostmond wrote, every window summed.
counted() {
	jq -s '[.[] | select(.type == "metrics") | .syscalls[]? | select(.syscall == "getppid") | .calls]
		| add // 0' "$tmp/agent.jsonl"
}

# phase MODE: its ns per call into $tmp/phase; returns 3 when others' programs were seen.
phase() {
	local mode=$1 pid=none seen=0 n

	if [[ $mode != none ]]; then
		start "$mode"
		pid=$tracer
	fi
	! foreign "$pid" || seen=1
	"$build/bench/getppid_ns" "$calls" "$cpu" >"$tmp/phase" || fail "$mode: timing loop failed"
	! foreign "$pid" || seen=1
	if [[ $mode != none ]]; then
		alive "$tracer" && attached "$tracer" ||
			fail "$mode: tracer gone or detached during the timing: $(tail -n 5 "$tmp/$mode.log")"
		stop "$mode"
	fi
	if [[ $mode == syscalls || $mode == agent || $mode == noworkloads || $mode == thread ]]; then
		n=$(counted)
		((n >= calls)) || fail "$mode: hostmond counted $n getppid calls of the $calls timed"
	fi
	return $((seen ? 3 : 0))
}

# wait_quiet: until no one else's program is on the syscall tracepoints.
wait_quiet() {
	local t

	for ((t = 0; t < quiet_wait; t++)); do
		foreign || return 0
		((t > 0)) || echo "waiting (up to ${quiet_wait}s) for others' programs on the syscall tracepoints to go:" \
			"$(awk '{ printf "%s prog %s on %s; ", $1 == "-" ? "pinned" : "pid " $1, $2, $3 }' "$tmp/foreign")"
		sleep 1
	done
	fail "others' programs still on the syscall tracepoints after ${quiet_wait}s (bpftool perf show): every mode would pay for them"
}

# clean_phase MODE: phase MODE, run again while others' programs show up in it.
clean_phase() {
	local try rc

	for ((try = 1; try <= phase_runs; try++)); do
		wait_quiet
		rc=0
		phase "$1" || rc=$?
		((rc == 0)) && return 0
		echo "$1: others' programs appeared on the syscall tracepoints during the phase; running it again"
	done
	fail "$1: others' programs appeared on the syscall tracepoints in each of $phase_runs runs"
}

# round R: every mode once, in the order rotated by R; appends "R MODE NS"
# lines to $tmp/results.
round() {
	local r=$1 k mode order=()

	: >"$tmp/round"
	for ((k = 0; k < ${#modes[@]}; k++)); do
		mode=${modes[(r - 1 + k) % ${#modes[@]}]}
		order+=("$mode")
		clean_phase "$mode"
		echo "$r $mode $(cat "$tmp/phase")" >>"$tmp/round"
	done
	cat "$tmp/round" >>"$tmp/results"
	awk -v r="$r" -v order="$(
		IFS=,
		echo "${order[*]}"
	)" '{ ns[$2] = $3 } END {
		printf "%5d  %-44s", r, order
		n = split("none floor syscalls agent noworkloads thread syscount bpftrace", m, " ")
		for (i = 1; i <= n; i++) printf " %9.2f", ns[m[i]]
		printf "\n" }' "$tmp/round"
}

report() {
	awk -v rounds="$rounds" -v gf="$goal_floor" -v gs="$goal_syscount" '
	function median(a, n,   i, j, t, b) {
		for (i = 1; i <= n; i++) b[i] = a[i]
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && b[j - 1] > b[j]; j--) { t = b[j]; b[j] = b[j - 1]; b[j - 1] = t }
		return n % 2 ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
	}
	{ ns[$1, $2] = $3; seen[$1] = 1 }
	END {
		nm = split("none floor syscalls agent noworkloads thread syscount bpftrace", m, " ")
		label["none"] = "no tracing"
		label["floor"] = "floor: empty programs on sys_enter/sys_exit"
		label["syscalls"] = "hostmond, syscall family only"
		label["agent"] = "hostmond, default config (all families)"
		label["noworkloads"] = "hostmond, default but `[workloads] enabled = false`"
		label["thread"] = "hostmond, default, thread map instead of task storage (the 5.10 path)"
		label["syscount"] = "libbpf-tools `syscount -L`"
		label["bpftrace"] = "bpftrace `hist()` of sys_enter→sys_exit"
		for (r in seen) {
			fl = ns[r, "floor"] - ns[r, "none"]
			for (i = 1; i <= nm; i++) {
				k = m[i]
				v[k, ++cnt[k]] = ns[r, k]
				d[k, cnt[k]] = ns[r, k] - ns[r, "none"]
				if (fl > 0) q[k, ++nq[k]] = (ns[r, k] - ns[r, "none"]) / fl
			}
		}
		if (nq["floor"] * 2 <= cnt["floor"]) {
			printf "invalid: the floor added nothing in %d of %d rounds\n", cnt["floor"] - nq["floor"], cnt["floor"] >"/dev/stderr"
			exit 3
		}
		printf "\n| mode | ns per getppid | added ns | × floor |\n|---|--:|--:|--:|\n"
		for (i = 1; i <= nm; i++) {
			k = m[i]
			delete a; for (j = 1; j <= cnt[k]; j++) a[j] = v[k, j]
			med[k] = median(a, cnt[k])
			delete a; for (j = 1; j <= cnt[k]; j++) a[j] = d[k, j]
			add[k] = median(a, cnt[k])
			delete a; for (j = 1; j <= nq[k]; j++) a[j] = q[k, j]
			ratio[k] = median(a, nq[k])
			if (k == "none") printf "| %s | %.1f | – | – |\n", label[k], med[k]
			else printf "| %s | %.1f | %.1f | %.2f× |\n", label[k], med[k], add[k], ratio[k]
		}
		printf "\nMedians over %d rounds; added ns = mode − no tracing, × floor = (mode − no tracing) / (floor − no tracing), both per round.\n", rounds
		printf "goal: whole agent ≤ %.1f× the floor: %.2f× — %s\n", gf, ratio["agent"],
			ratio["agent"] <= gf ? "met" : "not met"
		printf "goal: whole agent ≤ %.0f%% of syscount'"'"'s ratio (≤ %.2f×): %.2f× — %s\n", gs * 100,
			gs * ratio["syscount"], ratio["agent"], ratio["agent"] <= gs * ratio["syscount"] ? "met" : "not met"
		printf "what the other families add (default agent − syscall family only, medians): %+.1f ns per call, %+.2f× the floor\n",
			add["agent"] - add["syscalls"], ratio["agent"] - ratio["syscalls"]
		printf "what RED per workload adds (default agent − the same without workloads, medians): %+.1f ns per call, %+.2f× the floor\n",
			add["agent"] - add["noworkloads"], ratio["agent"] - ratio["noworkloads"]
	}' "$tmp/results"
}

echo "$me: $calls getppid calls per phase, $rounds rounds, loop on CPU $cpu, tracers on CPU $others;" \
	"kernel $(uname -r), syscount $(dpkg-query -W -f='${Version}' libbpf-tools 2>/dev/null || echo '?')," \
	"$(/usr/bin/bpftrace --version 2>/dev/null | head -n 1)"
printf "%5s  %-44s" round order
for mode in "${modes[@]}"; do printf " %9s" "$mode"; done
printf "   (ns per call)\n"
: >"$tmp/results"
for ((r = 1; r <= rounds; r++)); do
	round "$r"
done
report || fail "measurement invalid"
