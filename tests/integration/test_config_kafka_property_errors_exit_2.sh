#!/bin/bash
# [kafka] librdkafka properties through the real hostmond: --check-config takes
# a SASL/TLS config with the password from a file and prints no secret; an
# unknown property, a bad value, a property hostmond owns, a password written
# inline, a missing password file, an unset variable and properties librdkafka
# refuses together each stop it with exit status 2 and a message naming the
# key (and its line), never showing the password.
. "$(dirname "$0")/lib.sh"

SECRET=pw-$$-$RANDOM$RANDOM
printf '%s\n' "$SECRET" >"$T/secret"

# kafka_config LINES: [agent] on lines 1-2, [kafka] on line 3, LINES from line 4.
kafka_config() {
	printf '[agent]\ninterval = 10\n[kafka]\n%b' "$1" | write_config
}

# expect_exit2 WHAT LINES WORD...: --check-config on LINES exits 2, stderr has every WORD and no secret.
expect_exit2() {
	local what=$1 lines=$2 rc=0 word
	shift 2
	kafka_config "$lines"
	timeout 10 "$HOSTMOND" --config "$CONF" --check-config >"$T/stdout" 2>"$T/stderr" || rc=$?
	expect_eq "exit status with $what" 2 "$rc"
	for word in "$@"; do
		grep -qF -- "$word" "$T/stderr" || fail "$what: expected '$word' in: $(cat "$T/stderr")"
	done
	! grep -qF "$SECRET" "$T/stderr" "$T/stdout" || fail "$what: the secret is shown: $(cat "$T/stderr")"
}

kafka_config "security.protocol = SASL_SSL\nsasl.mechanism = SCRAM-SHA-256\nsasl.username = agent\nsasl.password_file = $T/secret\nssl.ca.location = /etc/ssl/certs\n"
rc=0
timeout 10 "$HOSTMOND" --config "$CONF" --check-config >"$T/stdout" 2>"$T/stderr" || rc=$?
expect_eq "--check-config exit status on a good SASL config ($(cat "$T/stderr"))" 0 "$rc"
expect_eq "--check-config output" "hostmond: configuration is valid" "$(cat "$T/stdout")"

expect_exit2 "an unknown property" "sasl.mechanismz = PLAIN\n" \
	"$CONF:4: [kafka] sasl.mechanismz: unknown key" 'No such configuration property'
expect_exit2 "a bad value" "sasl.username = a\nsecurity.protocol = TLS\n" \
	"$CONF:5: [kafka] security.protocol: 'TLS'" 'Invalid value'
expect_exit2 "an owned property" "enable.idempotence = false\n" \
	"$CONF:4: [kafka] enable.idempotence: is set by hostmond"
expect_exit2 "an inline password" "sasl.password = $SECRET\n" \
	"$CONF:4: [kafka] sasl.password: is a secret" 'sasl.password_file = PATH' \
	'sasl.password_env = VARIABLE'
expect_exit2 "a missing password file" "sasl.password_file = $T/none\n" \
	"$CONF:4: [kafka] sasl.password_file: '$T/none' cannot be opened"
expect_exit2 "an unset variable" "sasl.password_env = HOSTMON_TEST_UNSET_$$\n" \
	"$CONF:4: [kafka] sasl.password_env: 'HOSTMON_TEST_UNSET_$$' is not set"
expect_exit2 "PLAIN without a password" "security.protocol = SASL_PLAINTEXT\nsasl.mechanism = PLAIN\n" \
	'[kafka]: librdkafka refuses these properties together' 'sasl.password must be set'

# --set names the flag; a secret there is refused too.
rc=0
timeout 10 "$HOSTMOND" --set "kafka.sasl.password=$SECRET" --check-config 2>"$T/stderr" || rc=$?
expect_eq "exit status with --set kafka.sasl.password" 2 "$rc"
grep -qF -- '--set: [kafka] sasl.password: is a secret' "$T/stderr" ||
	fail "expected '--set: [kafka] sasl.password: is a secret' in: $(cat "$T/stderr")"
! grep -qF "$SECRET" "$T/stderr" || fail "--set: the secret is shown: $(cat "$T/stderr")"
