#!/bin/bash
# The p95 hostmond reports for clock_nanosleep is within 3% of the p95 that
# the sleeping process measured itself.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/sleeper"
N=2000

# One long window, only clock_nanosleep: the helper's 2000 sleeps dominate it,
# and this script's own waits use pselect6, not nanosleep.
write_config <<EOF_CONF
[agent]
interval = 60
host_id = hostmon-test
[syscalls]
include = clock_nanosleep
EOF_CONF
agent_start syscalls
measured=$("$HELPERS/sleeper" "$N" 100 2000 42)
agent_stop

expect_sleeper_p95 "$measured" "$N"
