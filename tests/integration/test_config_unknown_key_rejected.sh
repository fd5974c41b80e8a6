#!/bin/bash
# An unknown config key stops hostmond with exit status 2 and a message naming
# the key and its line.
. "$(dirname "$0")/lib.sh"

write_config <<EOF_CONF
[agent]
interval = 10
no_such_key = 1
EOF_CONF
rc=0
timeout 10 "$HOSTMOND" --config "$CONF" --output "jsonl:$OUT" 2>"$T/stderr" || rc=$?
expect_eq "hostmond exit status on an unknown key" 2 "$rc"
err=$(cat "$T/stderr")
[[ "$err" == *no_such_key* ]] || fail "stderr does not name the key no_such_key: $err"
[[ "$err" =~ (:3|line\ 3)([^0-9]|$) ]] ||
	fail "stderr does not name line 3 (as ':3' or 'line 3'): $err"
