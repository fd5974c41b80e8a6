#!/bin/bash
# A NULL dereference gives one process_crash naming the process, its parent and
# SIGSEGV; three of them are three more crashes counted in (events_in) and out
# to the JSON lines and the socket (events_out), as many as the lines written.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/crasher"

agent_start proc
segv_crashes 3
pids=("${CRASHED[@]}")
pid=${pids[0]}
agent_stop

ev=$(one_event process_crash ".pid == $pid")
expect_field "$ev" .signal 11
expect_field "$ev" .signal_name SIGSEGV
expect_field "$ev" .comm crasher
expect_field "$ev" .ppid "$$"
expect_field "$ev" '.exe | startswith("/") and endswith("/crasher")' true

# Other processes on this host may crash too: the counts match the lines, and
# those hold ours.
for p in "${pids[@]}"; do
	one_event process_crash ".pid == $p" >/dev/null
done
expect_cmp "process_crash counted in" "$(sum_metric self events_in process_crash)" -ge 3
events_counted jsonl
events_counted socket
