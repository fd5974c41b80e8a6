#!/bin/bash
# A config file holding a NUL byte, a control character or bytes that are not
# UTF-8 is refused by --check-config and by the agent itself: exit status 2, a
# message naming the file, the line and the bad byte's column. The same file
# without the bad byte passes.
. "$(dirname "$0")/lib.sh"

# check_bytes NAME PRINTF_TEXT LINE WHAT: the file printf writes is refused.
check_bytes() {
	local name=$1 text=$2 line=$3 what=$4 rc=0 err
	# shellcheck disable=SC2059 # the text is a printf format on purpose (\x00, \n)
	printf "$text" >"$CONF"
	timeout 10 "$HOSTMOND" --check-config --config "$CONF" 2>"$T/stderr" || rc=$?
	err=$(tr -d '\000' <"$T/stderr")
	expect_eq "hostmond --check-config exit status on a file with $name (stderr: $err)" 2 "$rc"
	[[ "$err" == *"$CONF:$line: $what"* ]] ||
		fail "stderr does not say '$CONF:$line: $what': $err"
}

check_bytes "a NUL byte" '[agent]\ninterval = 5\000garbage\n' 2 "NUL byte at column 13"
check_bytes "a NUL byte in a comment" '[agent]\n# a\000b\ninterval = 5\n' 2 "NUL byte at column 4"
check_bytes "an escape character" '[agent]\ninterval = 5\n\033[2J\n' 3 \
	"control character 0x1b at column 1"
check_bytes "Latin-1, not UTF-8" '[agent]\nhost_id = caf\351\n' 2 \
	"invalid UTF-8 byte 0xe9 at column 14"
head -c 2000 "$HOSTMOND" >"$CONF"
rc=0
timeout 10 "$HOSTMOND" --check-config --config "$CONF" 2>"$T/stderr" || rc=$?
expect_eq "hostmond --check-config exit status on an ELF file as config" 2 "$rc"
grep -q "$CONF:1: control character 0x7f at column 1" "$T/stderr" ||
	fail "stderr does not name line 1 of the ELF file: $(cat "$T/stderr")"

# The agent proper refuses it before it starts anything.
printf '[agent]\ninterval = 5\000\n' >"$CONF"
rc=0
timeout 10 "$HOSTMOND" --config "$CONF" --output "jsonl:$OUT" 2>"$T/stderr" || rc=$?
expect_eq "hostmond exit status on a file with a NUL byte" 2 "$rc"
[[ ! -s "$OUT" ]] || fail "hostmond started on a file with a NUL byte: $OUT has records"

# Without the bad bytes (and with tabs, CRLF and UTF-8 in a comment) it is valid.
printf '[agent]\r\n# caf\303\251 \342\202\254\r\ninterval\t= 5\r\nhost_id = caf\303\251\n' >"$CONF"
rc=0
timeout 10 "$HOSTMOND" --check-config --config "$CONF" 2>"$T/stderr" || rc=$?
expect_eq "hostmond --check-config exit status on clean text (stderr: $(cat "$T/stderr"))" 0 "$rc"
