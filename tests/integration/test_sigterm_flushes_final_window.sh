#!/bin/bash
# SIGTERM makes hostmond emit its final partial metrics window, then an
# agent_status "stopped", and exit 0 within 5 s.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/getppid_loop"

agent_start syscalls    # interval 60: the final window is the only one
"$HELPERS/getppid_loop" 1000
agent_stop     # asserts exit status 0 within 5 s

expect_eq "type of the next-to-last record" metrics "$(q -r '.[-2].type')"
expect_eq "type of the last record" agent_status "$(q -r '.[-1].type')"
expect_eq "state of the last agent_status" stopped "$(q -r '.[-1].state')"
expect_cmp "getppid calls in the final window" \
	"$(q '.[-2].syscalls[]? | select(.syscall == "getppid") | .calls')" -ge 1000
