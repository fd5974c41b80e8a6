#!/bin/bash
# hostmon-alert refuses bad configuration before touching Kafka: exit 2 with
# a message naming the file, the line and the key (unknown key, value out of
# range, a librdkafka property librdkafka rejects, a line that is not
# key = value), the flag (bad value, unknown flag, -X without =) or the
# unreadable file; --check-config accepts a good file and the shipped
# packaging/hostmon-alert.ini with exit 0.
. "$(dirname "$0")/lib.sh"
ALERT=$BUILD/hostmon-alert
require_file "$ALERT"

# expect_refused WHAT MESSAGE ARGS...: exit 2 and MESSAGE in stderr.
expect_refused() {
	local what=$1 msg=$2 rc=0
	shift 2
	"$ALERT" --check-config "$@" >"$T/out" 2>"$T/err" || rc=$?
	expect_eq "$what: exit status" 2 "$rc"
	grep -qF -- "$msg" "$T/err" || fail "$what: expected '$msg' in stderr, got: $(cat "$T/err")"
}

good=$T/good.ini
cat >"$good" <<-EOF
	[kafka]
	brokers = 127.0.0.1:1
	group_id = g
	session.timeout.ms = 6000
	[crash_loop]
	count = 5
	window = 600
	[service]
	metrics_listen = 127.0.0.1:9464
EOF
"$ALERT" --check-config --config "$good" >"$T/out" 2>"$T/err" || fail "good config refused: $(cat "$T/err")"
expect_eq "--check-config on a good file" "hostmon-alert: configuration ok" "$(cat "$T/out")"
"$ALERT" --check-config --config "$ROOT/packaging/hostmon-alert.ini" >"$T/out" 2>"$T/err" ||
	fail "packaging/hostmon-alert.ini refused: $(cat "$T/err")"

bad() {
	{ cat "$good"; printf '%s\n' "$@"; } >"$T/bad.ini"
}
bad '[crash_loop]' 'cuont = 3'
expect_refused "unknown key" "$T/bad.ini:11: [crash_loop] cuont = '3': unknown key" --config "$T/bad.ini"
bad '[crash_loop]' 'count = 0'
expect_refused "count out of range" "$T/bad.ini:11: [crash_loop] count = '0': expected an integer 1..64" --config "$T/bad.ini"
bad '[crash_wave]' 'window = 5m'
expect_refused "window not in seconds" "$T/bad.ini:11: [crash_wave] window = '5m': expected an integer 1..86400 (seconds)" --config "$T/bad.ini"
bad '[kafka]' 'session.timeout.ms = soon'
expect_refused "librdkafka property" "$T/bad.ini:11: [kafka] session.timeout.ms = 'soon': " --config "$T/bad.ini"
bad '[kafka]' 'start = middle'
expect_refused "start" "$T/bad.ini:11: [kafka] start = 'middle': expected earliest or latest" --config "$T/bad.ini"
bad 'just words'
expect_refused "not key = value" "$T/bad.ini:10: not a key = value line" --config "$T/bad.ini"
expect_refused "missing file" "$T/none.ini: No such file or directory" --config "$T/none.ini"
expect_refused "flag value" "--group-id '': expected a non-empty value" --config "$good" --group-id ''
expect_refused "log level" "[service] log_level 'loud': expected error, warn, info or debug" --log-level loud
expect_refused "-X without =" "-X 'acks': expected NAME=VALUE" -X acks
expect_refused "-X rejected by librdkafka" "-X nosuch.property: " -X nosuch.property=1
expect_refused "unknown flag" "unknown option or missing argument: --frobnicate" --frobnicate
echo "ok"
