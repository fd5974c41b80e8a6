#!/bin/bash
# Every output record carries a type, an increasing seq, a wall-clock ts_ns,
# the configured host_id and the kernel's boot_id.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/crasher"

write_config <<EOF_CONF
[agent]
interval = 1
host_id = hostmon-test
EOF_CONF
start_ns=$(date +%s%N)
agent_start syscalls proc
"$HELPERS/crasher" segv &
track $!
nap 2.5
agent_stop
end_ns=$(date +%s%N)

# expect_all WHAT JQ_CONDITION: the first record failing CONDITION, if any, fails the test.
expect_all() {
	local bad
	bad=$(q -c --argjson t0 "$start_ns" --argjson t1 "$end_ns" \
		--arg boot "$(tr -d - </proc/sys/kernel/random/boot_id)" \
		"first(.[] | select(($2) | not)) // empty")
	[[ -z "$bad" ]] || fail "$1: violated by $bad"
}
expect_cmp "number of records" "$(q length)" -ge 4
expect_all "type is a non-empty string" '.type | type == "string" and length > 0'
expect_all "ts_ns is wall-clock ns within the run" \
	'.ts_ns | type == "number" and . >= $t0 and . <= $t1'
expect_all "host_id is the configured one" '.host_id == "hostmon-test"'
expect_all "boot_id is the kernel boot_id" \
	'.boot_id | type == "string" and gsub("-"; "") == $boot'
expect_all "seq is an integer" '.seq | type == "number" and . == floor'
expect_eq "records whose seq is not above the previous record's" 0 \
	"$(q '[.[].seq] as $s | [range(1; $s | length) | select($s[.] <= $s[. - 1])] | length')"
