#!/bin/bash
# The agent's lifecycle in one run: /health says "starting" is over with the
# state, why and since when; SIGTERM moves it running -> draining -> stopped;
# every transition is one agent_status record (state, previous_state, reason,
# in that order, the stopped one last of all records) and one log line.
. "$(dirname "$0")/lib.sh"

printf '[agent]\ninterval = 1\nhost_id = hostmon-test\n' | write_config
agent_start syscalls proc net
health=$(api /health)
expect_status /health 200
expect_field "$health" .state running
expect_field "$health" .reason "probes attached"
since=$(field "$health" .state_since_ns)
started=$(field "$health" .started_ns)
expect_cmp "state_since_ns (running) after started_ns" "$since" -ge "$started"
nap 2.5
agent_stop

expect_eq "agent_status transitions (previous_state>state: reason)" \
	"starting>running: probes attached|running>draining: signal SIGTERM|draining>stopped: signal SIGTERM" \
	"$(q -r '[.[] | select(.type == "agent_status" and .previous_state) |
		"\(.previous_state)>\(.state): \(.reason)"] | join("|")')"
expect_eq "type of the last record" agent_status "$(q -r '.[-1].type')"
expect_eq "state of the last record" stopped "$(q -r '.[-1].state')"
for line in "starting -> running: probes attached" "running -> draining: signal SIGTERM" \
	"draining -> stopped: signal SIGTERM"; do
	grep -q "component=lifecycle msg=\"$line" "$AGENT_LOG" || fail "no log line 'lifecycle: $line'"
done
# The last window closes while the agent drains.
expect_eq "state of the metrics windows but the last" running \
	"$(q -r '[.[] | select(.type == "metrics") | .state][:-1] | unique | join(",")')"
expect_eq "state of the last metrics window" draining \
	"$(q -r '[.[] | select(.type == "metrics") | .state][-1]')"
