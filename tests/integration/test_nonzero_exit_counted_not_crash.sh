#!/bin/bash
# A normal exit(3) is no crash: no process_crash, but one count under
# exits_nonzero for its comm.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/exiter"

agent_start proc
"$HELPERS/exiter" 3 &
pid=$!
track "$pid"
wait_child "$pid" 10
expect_eq "exiter exit status" 3 "$CHILD_RC"
agent_stop

expect_eq "process_crash records for pid $pid" 0 "$(count_events process_crash ".pid == $pid")"
expect_eq "exits_nonzero.exiter summed over all metrics windows" 1 \
	"$(sum_metric exits_nonzero exiter)"
