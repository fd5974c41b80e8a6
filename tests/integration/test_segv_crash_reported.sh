#!/bin/bash
# A NULL dereference gives one process_crash naming the process, its parent and SIGSEGV.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/crasher"

agent_start proc
"$HELPERS/crasher" segv &
pid=$!
track "$pid"
wait_child "$pid" 10
expect_eq "crasher segv exit status" 139 "$CHILD_RC"
agent_stop

ev=$(one_event process_crash ".pid == $pid")
expect_field "$ev" .signal 11
expect_field "$ev" .signal_name SIGSEGV
expect_field "$ev" .comm crasher
expect_field "$ev" .ppid "$$"
expect_field "$ev" '.exe | startswith("/") and endswith("/crasher")' true
