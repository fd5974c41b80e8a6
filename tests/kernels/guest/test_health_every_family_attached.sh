#!/bin/bash
# On this kernel the agent starts with every probe family attached, and
# GET /health says so: state running, each family attached without an error,
# each family's drop counters, a closed window. A family that failed is named
# with the agent's own reason and the kernel's (the verifier's last words).
. "$(dirname "$0")/../../integration/lib.sh"

# why_failed FAMILY: the agent's warnings and errors, with the end of each
# verifier log, for a family that did not attach.
why_failed() {
	echo "--- $1: warnings and errors of hostmond on $(uname -r) ---" >&2
	grep -E 'level=(warn|error)' "$AGENT_LOG" | grep -v 'BEGIN PROG LOAD LOG' | head -n 20 >&2
	# Each verifier log: its program and its last words (the reason).
	grep 'BEGIN PROG LOAD LOG' "$AGENT_LOG" | sed 's/\\n/\n/g' | awk '
		/BEGIN PROG LOAD LOG/ { n = 0; sub(/ -- BEGIN.*/, ""); sub(/.*msg="/, ""); print "verifier on " $0; next }
		/END PROG LOAD LOG/ { for (i = (n > 3 ? n - 3 : 0); i < n; i++) print "  " last[i]; next }
		!/^processed / { last[n++] = $0 }' >&2
}

one_second_windows
agent_start
status=$(q -c 'first(.[] | select(.type == "agent_status"))')
if [[ $(field "$status" .state) == stopped ]]; then
	why_failed "every family"
	fail "hostmond stopped at start: $(field "$status" '.reason, (.probes | tostring)')"
fi
health=$(api /health)
expect_status /health 200
for family in syscalls proc net; do
	state=$(field "$health" ".probes.$family.state")
	if [[ $state != attached ]]; then
		why_failed "$family"
		fail "/health: expected probes.$family.state attached, got $state: $(field "$health" ".probes.$family.error")"
	fi
	expect_field "$health" ".probes.$family.error // null" null
done
expect_field "$health" .state running
expect_field "$health" .reason "probes attached"
# Drops are published with the first window.
wait_window
health=$(api /health)
expect_field "$health" '.last_window_ns > 0' true
for family in syscalls proc net; do
	expect_field "$health" ".drops | has(\"$family\")" true
done
agent_stop
