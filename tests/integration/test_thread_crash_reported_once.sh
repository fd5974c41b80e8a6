#!/bin/bash
# A process of 8 threads, one of which dereferences NULL, gives exactly one
# process_crash (per process, not per thread).
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/crasher"

agent_start proc
"$HELPERS/crasher" threads &
pid=$!
track "$pid"
wait_child "$pid" 10
expect_eq "crasher threads exit status" 139 "$CHILD_RC"
agent_stop

expect_eq "process_crash records with comm crasher (any pid or tid)" 1 \
	"$(count_events process_crash '.comm == "crasher"')"
ev=$(one_event process_crash ".pid == $pid")
expect_field "$ev" .signal 11
expect_field "$ev" .signal_name SIGSEGV
