#!/bin/bash
# 1,000 malformed or oversized requests (bad methods, 200 kB headers, 100 kB
# URLs, broken chunking, lying Content-Length, binary garbage, truncated and
# pipelined requests) leave the agent serving, none hangs, and its memory is
# flat: VmRSS after them within 1 MiB of VmRSS after a warm-up round.
. "$(dirname "$0")/lib.sh"
GARBAGE=$ROOT/tests/helpers/http_garbage.py

memory_checked
agent_start
rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$AGENT_PID/status"
}
python3 "$GARBAGE" "$SOCK" 300 1 >"$T/warmup"
before=$(rss)
python3 "$GARBAGE" "$SOCK" 1000 2 >"$T/garbage"
after=$(rss)
read -r answered closed timeout <"$T/garbage"
expect_eq "requests that hung (of 1000)" timeout=0 "$timeout"
expect_cmp "requests answered with HTTP (of 1000)" "${answered#answered=}" -ge 100
expect_cmp "VmRSS growth over 1000 bad requests, kB (before $before kB)" $((after - before)) -le $((1024 * MEM_FACTOR))
expect_field "$(api /health)" .state running
expect_status "/health after the garbage" 200
echo "VmRSS before $before kB, after $after kB; $answered $closed $timeout"
agent_stop
