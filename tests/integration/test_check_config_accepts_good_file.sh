#!/bin/bash
# --check-config on a valid file using every documented key exits 0 without
# starting the agent.
. "$(dirname "$0")/lib.sh"

write_config <<EOF_CONF
[agent]
interval = 5
output = jsonl:$OUT
log_level = info
ringbuf_size = 65536
host_id = hostmon-test
[syscalls]
enabled = true
include =
exclude = write
blocking = futex,clock_nanosleep
slow_threshold_us = 1000
slow_events = false
[proc]
enabled = true
EOF_CONF
rc=0
timeout 10 "$HOSTMOND" --config "$CONF" --check-config 2>"$T/stderr" || rc=$?
expect_eq "hostmond --check-config exit status on a good file (stderr: $(cat "$T/stderr"))" 0 "$rc"
[[ ! -s "$OUT" ]] || fail "--check-config started the agent: $OUT has $(wc -l <"$OUT") records"
