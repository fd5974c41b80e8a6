#!/bin/bash
# Every getppid call a process makes is counted in the metrics windows.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/getppid_loop"
N=100000

agent_start syscalls
"$HELPERS/getppid_loop" "$N"
agent_stop

expect_cmp "getppid calls summed over all metrics windows" "$(sum_calls getppid)" -ge "$N"
