#!/bin/bash
# abort() gives SIGABRT, and core_dumped says whether a core file was written:
# false under `ulimit -c 0`, true under `ulimit -c unlimited`.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/crasher"

# abort_with_ulimit LIMIT: runs `crasher abort` in its own directory of $T
# (core_pattern "core" writes the core there); sets pid.
abort_with_ulimit() {
	mkdir "$T/core-$1"
	(ulimit -c "$1" && cd "$T/core-$1" && exec "$HELPERS/crasher" abort) &
	pid=$!
	track "$pid"
	wait_child "$pid" 20
	expect_eq "crasher abort exit status (ulimit -c $1)" 134 "$CHILD_RC"
}

[[ $(ulimit -Hc) == unlimited ]] ||
	fail "hard core size limit is $(ulimit -Hc); this test needs to raise it to unlimited"
agent_start proc
abort_with_ulimit 0
pid_nocore=$pid
abort_with_ulimit unlimited
pid_core=$pid
agent_stop

compgen -G "$T/core-unlimited/core*" >/dev/null ||
	fail "no core file written under ulimit -c unlimited (core_pattern: $(cat /proc/sys/kernel/core_pattern)); cannot check core_dumped"
ev=$(one_event process_crash ".pid == $pid_nocore")
expect_field "$ev" .signal 6
expect_field "$ev" .signal_name SIGABRT
expect_field "$ev" .core_dumped false
ev=$(one_event process_crash ".pid == $pid_core")
expect_field "$ev" .signal 6
expect_field "$ev" .signal_name SIGABRT
expect_field "$ev" .core_dumped true
