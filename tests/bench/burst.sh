# Sourced by the benchmarks that time hostmond through a burst: a burst of N
# raw getpgid(0) calls (tests/helpers/syscall_loop; getpgid rather than
# getppid, which other benchmarks storm on a shared host), each a slow_syscall
# record of a hostmond configured by burst_config, and how to watch hostmond
# while it writes them.

GETPGID=$(awk '$2 == "__NR_getpgid" { print $3 }' /usr/include/x86_64-linux-gnu/asm/unistd_64.h)

now_ns() {
	date +%s%N
}

cpu_ns() {	# PID: utime + stime of all its threads, ns (schedstat: exact, not in clock ticks)
	cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%d\n", s }'
}

# counter_prefix PAGE: sets the array counter_cmd to what runs a command under
# the allocation counter (alloc_count.so from the global build) sharing PAGE,
# which it removes (the counter creates it), or to nothing when PAGE is "".
counter_prefix() {
	local shim=$build/bench/alloc_count.so

	counter_cmd=()
	[[ -n $1 ]] || return 0
	[[ -f $shim ]] || { echo "${0##*/}: $shim missing (make bench-build)" >&2; exit 1; }
	rm -f "$1"
	counter_cmd=(env LD_PRELOAD="$shim" HOSTMON_ALLOC_COUNT="$1")
}

# alloc_calls PAGE PID: the heap allocation calls counted so far by
# alloc_count.so in PID, from the page it shares (PAGE): its pid, then one
# count per kind of call.
alloc_calls() {
	od -An -v -t u8 -N 48 "$1" | tr -s ' \n' '\n\n' | awk -v me="${0##*/}" -v page="$1" -v pid="$2" '
		NF { v[n++] = $1 }
		END {
			if (v[0] != pid) {
				print me ": " page " is not counting pid " pid " (LD_PRELOAD lost?)" >"/dev/stderr"
				exit 1
			}
			for (i = 1; i < n; i++)
				s += v[i]
			print s
		}'
}

# burst_config FILE: hostmond's configuration for a burst: each getpgid call
# a slow_syscall record (slow_threshold_us = 0; no rate limit applies to
# them), a ring buffer that holds the whole burst (RINGBUF_SIZE, default 64
# MiB) and the highest CPU budget (a burst takes a core: the brownout would
# shed it); one-second windows, no other family. The memory bound is the
# default 64 MiB: the ring buffer's pages, mapped twice (the wrap-around),
# are the kernel's BPF memory, left out of the RSS it bounds.
burst_config() {
	local ring=${RINGBUF_SIZE:-67108864}
	cat >"$1" <<-EOF
		[agent]
		interval = 1
		host_id = hostmon-bench
		ringbuf_size = $ring
		max_cpu_percent = 100
		[syscalls]
		include = getpgid
		slow_threshold_us = 0
		sample_above = 0
		[proc]
		enabled = false
		[net]
		enabled = false
	EOF
}

# windows_closed FILE: how many metrics records the JSON lines in FILE hold.
windows_closed() {
	[[ -f $1 ]] || { echo 0; return; }
	grep -c '^{"type":"metrics"' "$1" || true
}

# follow FILE PID T_NS N: reads the JSON lines in FILE as they are written
# (one pass, polled every 10 ms; tail -f | awk here saw the file's end
# seconds late when the burst came right after the start) until all N of
# PID's burst events are there, or a window emitted after T_NS (the burst's
# end: each window first drains the ring buffer) says the rest were dropped;
# prints "SEQ_OF_THE_LAST COUNT".
follow() {
	timeout 300 python3 - "$@" <<-'EOF'
		import sys, time
		path, pid, t_end, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
		mine = b'"pid":%d,' % pid
		count, last, rest = 0, None, b""

		def field(line, key):
		    return int(line.split(b'"%s":' % key, 1)[1].split(b",", 1)[0])

		with open(path, "rb") as f:
		    while True:
		        chunk = f.read()
		        if not chunk:
		            time.sleep(0.01)
		            continue
		        lines = (rest + chunk).split(b"\n")
		        rest = lines.pop()
		        for line in lines:
		            if line.startswith(b'{"type":"slow_syscall"') and mine in line:
		                count, last = count + 1, field(line, b"seq")
		            elif line.startswith(b'{"type":"metrics"') and field(line, b"ts_ns") > t_end:
		                print(last, count)
		                sys.exit(0)
		            if count == n:
		                print(last, count)
		                sys.exit(0)
	EOF
}

# burst OUT: N calls (globals n and build), then reads OUT until their
# records are there or dropped (follow); sets burst_pid, burst_end (ns, the
# calls' end), burst_last (the seq of the last of their records) and
# burst_got (how many are in OUT). None there stops the script.
burst() {
	"$build/helpers/syscall_loop" "$n" "$GETPGID" &
	burst_pid=$!
	wait "$burst_pid"
	burst_end=$(now_ns)
	read -r burst_last burst_got < <(follow "$1" "$burst_pid" "$burst_end" "$n") || true
	if [[ -z ${burst_got:-} || $burst_got == 0 ]]; then
		echo "${0##*/}: none of the burst's $n records in $1; last brownout:" \
			"$(grep -o '"reason":"brownout[^"]*"' "$1" | tail -n 1)" >&2
		exit 1
	fi
}

# agent_stop: SIGTERM to hostmond (global agent), which must exit 0.
agent_stop() {
	kill -TERM "$agent"
	wait "$agent" || { echo "${0##*/}: hostmond exited with $?" >&2; exit 1; }
	agent=
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
