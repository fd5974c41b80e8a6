#!/bin/bash
# The stats socket answers /health, /stats (with ?syscall= and ?top=) and
# /events?since= from a running agent; unknown paths 404, bad parameters 400
# and wrong methods 405, each with a JSON error body.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/getppid_loop"
require_file "$HELPERS/crasher"

one_second_windows
agent_start syscalls proc
expect_eq "socket mode" "srw-rw----" "$(stat -c %A "$SOCK")"

health=$(api /health)
expect_status /health 200
expect_field "$health" .state running
expect_field "$health" .probes.syscalls.state attached
expect_field "$health" .kernel.release "$(uname -r)"
expect_field "$health" .kernel.ringbuf true
expect_field "$health" .probes.proc.state attached

"$HELPERS/getppid_loop" 1000000000 &
loop=$!
track "$loop"
wait_window
wait_window    # a whole window of the loop's calls
stats=$(api "/stats?syscall=getppid")
kill "$loop"
expect_status "/stats?syscall=getppid" 200
expect_field "$stats" .type metrics
expect_field "$stats" '[.syscalls[].syscall] | join(",")' getppid
expect_field "$stats" '.syscalls[0].calls > 1000' true
top=$(api "/stats?top=3")
expect_field "$top" '.syscalls | length <= 3' true
expect_field "$top" '[.syscalls[].calls] | . == (sort | reverse)' true
health=$(api /health)
expect_field "$health" '.last_window_ns > 0' true
expect_field "$health" '.drops.syscalls | has("slow_syscall")' true

"$HELPERS/crasher" segv &
pid=$!
track "$pid"
wait_child "$pid" 10
crash_count="[.events[] | select(.type == \"process_crash\" and .pid == $pid)] | length"
for ((i = 0; i < 50; i++)); do
	events=$(api "/events?since=0&limit=1000")
	[[ $(field "$events" "$crash_count") == 1 ]] && break
	nap 0.1
done
expect_status /events 200
expect_field "$events" "$crash_count" 1
expect_field "$events" '[.events[].type] | index("metrics")' null
next=$(field "$events" .next_since)
expect_field "$events" "[.events[].seq] | max" "$next"
expect_field "$(api "/events?since=$next")" "[.events[].seq | select(. <= $next)] | length" 0
expect_field "$(api "/events?since=0&limit=1")" '.events | length' 1

check_error() {    # check_error STATUS CODE [CURL_ARGS...] PATH
	local status=$1 code=$2 body
	shift 2
	body=$(api "$@")
	expect_status "${*: -1}" "$status"
	expect_field "$body" .error.code "$code"
	expect_field "$body" '.error.message | length > 0' true
}
check_error 404 not_found /nope
check_error 404 not_found /health/x
check_error 400 bad_parameter "/events?limit=0"
check_error 400 bad_parameter "/events?since=abc"
check_error 400 bad_parameter "/events?since=1&since=2"
check_error 400 bad_parameter "/stats?syscall=nosuchcall"
check_error 400 bad_parameter "/stats?top=-1"
check_error 400 bad_parameter "/health?x=1"
check_error 405 method_not_allowed -X POST /health
check_error 405 method_not_allowed -X DELETE /stats
check_error 405 method_not_allowed /admin/reload

agent_stop
[[ ! -e "$SOCK" ]] || fail "socket $SOCK still there after the agent stopped"
