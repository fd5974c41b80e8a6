#!/bin/bash
# Against a private broker that takes only SASL/PLAIN clients (tools/kafka-local
# on 19192/19193, its data under $T), hostmond with [kafka]
# security.protocol, sasl.mechanisms, sasl.username and sasl.password_file
# delivers every record it writes as a JSON line (hostmon-consume -X ...
# --check: all of them, no gap, no duplicate) and loses none. With a wrong
# password (sasl.password_env) it logs the authentication failure, runs on
# (degraded, the failure in /health's kafka section), delivers and loses
# nothing, and leaves every record in its spool. Neither
# password appears in hostmond's log (--log-level debug, librdkafka's debug =
# all), its JSON lines, /health or /stats.
. "$(dirname "$0")/lib.sh"
require_root
require_file "$HELPERS/getppid_loop"
require_file "$BUILD/hostmon-consume"

PASS=hostmon-pw-$$-$RANDOM$RANDOM
WRONG=wrong-pw-$$-$RANDOM$RANDOM
ADMIN_PASS=admin-pw-$$-$RANDOM$RANDOM
brokers=127.0.0.1:19192
topic=hostmon-test-sasl-$$-$RANDOM

# The broker's client listener speaks SASL_PLAINTEXT only (the broker talks to
# itself over it as admin); the controller keeps PLAINTEXT. These lines come
# after tools/kafka-local's own, and a key given again wins.
cat >"$T/props" <<EOF
listeners=SASL_PLAINTEXT://$brokers,CONTROLLER://127.0.0.1:19193
advertised.listeners=SASL_PLAINTEXT://$brokers
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
sasl.mechanism.inter.broker.protocol=PLAIN
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$ADMIN_PASS" user_admin="$ADMIN_PASS" user_hostmon="$PASS";
EOF
SASL=(-X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=PLAIN -X sasl.username=hostmon
	-X "sasl.password=$PASS")
PRIVATE_PORT=19192 PRIVATE_PROBE_ARGS="${SASL[*]}"
private_broker_start "$T/props"
expect_eq "private broker address" "$brokers" "$PRIVATE_BROKERS"
# Without credentials the listener refuses: the broker really requires SASL.
if timeout 20 kcat -b "$brokers" -L -m 5 >/dev/null 2>&1; then
	fail "kcat without SASL got metadata from $brokers"
fi

printf '%s\n' "$PASS" >"$T/secret"
chmod 600 "$T/secret"

# sasl_config SOURCE_LINE: the test config with [kafka] SASL and the password from SOURCE_LINE.
sasl_config() {
	write_config <<-EOF
		[agent]
		interval = 1
		host_id = hostmon-test
		[syscalls]
		include = getppid
		slow_threshold_us = 0
		sample_above = 0
		[kafka]
		brokers = $brokers
		topic = $topic
		security.protocol = SASL_PLAINTEXT
		sasl.mechanisms = PLAIN
		sasl.username = hostmon
		$1
		debug = all
	EOF
}

# expect_no_password WHAT FILE...: neither password in any of the files.
expect_no_password() {
	local what=$1 f
	shift
	for f in "$@"; do
		! grep -qF -e "$PASS" -e "$WRONG" "$f" || fail "a password appears in $what ($f): $(grep -F -e "$PASS" -e "$WRONG" "$f" | head -n 3)"
	done
}

# save_api NAME PATH: the body of GET PATH, kept as $T/NAME.
save_api() {
	api "$2" >"$T/$1"
	expect_status "$2" 200
}

# --- the right password, from a file ----------------------------------------
sasl_config "sasl.password_file = $T/secret"
"$HOSTMOND" --config "$CONF" --check-config >"$T/check.out" 2>&1 ||
	fail "--check-config refused the SASL config: $(cat "$T/check.out")"
expect_no_password "--check-config output" "$T/check.out"
agent_start syscalls
"$HELPERS/getppid_loop" 300
nap 2.5
save_api health1 /health
save_api stats1 /stats
agent_stop 13	# the final deliveries may wait on a slow broker
grep -q 'component=kafka msg="[0-9]* records delivered, 0 lost' "$AGENT_LOG" ||
	fail "hostmond did not report every record delivered: $(grep 'component=kafka' "$AGENT_LOG" | grep -v level=debug | tail -n 5)"
grep -q 'level=debug component=kafka ' "$AGENT_LOG" || fail "no librdkafka debug line in the log: debug = all not applied"
n=$(q 'length')
expect_cmp "JSON lines written" "$n" -ge 300
rc=0
timeout 60 "$BUILD/hostmon-consume" -b "$brokers" -t "$topic" "${SASL[@]}" --end --check -q \
	>/dev/null 2>"$T/consume.err" || rc=$?
expect_eq "hostmon-consume --check exit status ($(tail -n 3 "$T/consume.err"))" 0 "$rc"
grep -q "^instance host_id=hostmon-test .* first=1 last=$n count=$n gaps=0 duplicates=0$" "$T/consume.err" ||
	fail "expected first=1 last=$n count=$n gaps=0 duplicates=0, got: $(grep '^instance ' "$T/consume.err")"
expect_no_password "hostmond's log" "$AGENT_LOG"
expect_no_password "the JSON lines" "$OUT"
expect_no_password "GET /health and /stats" "$T/health1" "$T/stats1"

# --- a wrong password, from the environment ---------------------------------
OUT=$T/out-wrong.jsonl
AGENT_LOG=$T/hostmond-wrong.log
SPOOL=$T/spool-wrong
export HOSTMON_TEST_KAFKA_PASS=$WRONG
sasl_config "sasl.password_env = HOSTMON_TEST_KAFKA_PASS"
agent_start syscalls
"$HELPERS/getppid_loop" 100
# Logged from the event loop (librdkafka's error callback), within a window.
for ((i = 0; i < 100; i++)); do
	grep -v ' level=debug ' "$AGENT_LOG" | grep -q 'component=kafka .*Authentication failed' && break
	nap 0.1
done
grep -v ' level=debug ' "$AGENT_LOG" | grep -q 'component=kafka .*Authentication failed' ||
	fail "no authentication error logged above debug: $(grep 'component=kafka' "$AGENT_LOG" | grep -v ' level=debug ' | tail -n 5)"
proc_exited "$AGENT_PID" && fail "hostmond exited after the authentication error"
# A sink that cannot deliver degrades the agent (at the next window).
wait_health '.state == "degraded" and (.kafka.last_error | test("Authentication failed"))' 20
save_api health2 /health
save_api stats2 /stats
expect_eq "kafka.lost in /health with Kafka refusing the password" 0 "$(jq -r .kafka.lost "$T/health2")"
kill -TERM "$AGENT_PID"
wait_child "$AGENT_PID" 20
AGENT_PID=
expect_eq "hostmond exit status after SIGTERM" 0 "$CHILD_RC"
grep -q 'component=kafka msg="0 records delivered, 0 lost' "$AGENT_LOG" ||
	fail "expected '0 records delivered, 0 lost', got: $(grep 'component=kafka' "$AGENT_LOG" | grep -v ' level=debug ' | tail -n 5)"
n=$(q 'length')
expect_cmp "JSON lines written with the wrong password" "$n" -ge 100
expect_eq "windows with drops.agent.kafka_lost 0" \
	"$(count_events metrics)" "$(count_events metrics '.drops.agent.kafka_lost == 0')"
records=$(spool_records "$SPOOL")
expect_eq "records kept in the spool" "$n" "$records"
expect_no_password "hostmond's log" "$AGENT_LOG"
expect_no_password "the JSON lines" "$OUT"
expect_no_password "GET /health and /stats" "$T/health2" "$T/stats2"
echo "ok: every record delivered with the password from a file; $n records kept in the spool with a wrong one"
