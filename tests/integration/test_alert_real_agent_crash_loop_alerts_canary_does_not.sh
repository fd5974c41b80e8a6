#!/bin/bash
# The real chain: hostmond on this kernel streams to the broker, hostmon-alert
# reads it and posts to a real Alertmanager. Three real SIGSEGV crashes of
# the crasher helper page as a crash loop naming this host, the crasher's exe,
# the signal and the crashed pids; three runs of hostmonctl selftest (the
# canary, marked by the agent) page nobody. Stopping the agent makes the host
# silent after three 1 s windows; starting it again resolves that and reports
# the restart.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/alert_lib.sh"
require_root
require_file "$HELPERS/crasher"
require_file "$BUILD/hostmonctl"
CRASHER=$(readlink -f "$HELPERS/crasher")
CTL=$(readlink -f "$BUILD/hostmonctl")

alert_topic 1
am_start
alert_config </dev/null
alert_start a
wait_assigned a 5 40

one_second_windows
AGENT_ARGS=(--kafka-brokers "$BROKERS" --kafka-topic "$TOPIC")
agent_start proc
# Only selftest's crash stage matters here (a sanitizer build's agent may shed
# the slow_syscall the selftest also looks for: its exit status is not checked).
for i in 1 2 3; do
	"$BUILD/hostmonctl" --socket "$SOCK" selftest >"$T/st.out" 2>&1 || true
	grep -q "^PASS process_crash: .* (hostmon-canary) died of SIGSEGV, marked canary" "$T/st.out" ||
		fail "selftest's crash not seen marked canary: $(cat "$T/st.out")"
done
segv_crashes 3

# (the agent sees every crash on this machine: other processes' are left aside)
mine=".labels.alertname == \"HostmonStreamCrashLoop\" and .labels.exe == \"$CRASHER\""
wait_notes "$mine" 1 20
loop=$(notes "[.[] | select($mine)] | first")
expect_eq "crash loop host" hostmon-test "$(field "$loop" .labels.host)"
expect_eq "crash loop exe" "$CRASHER" "$(field "$loop" .labels.exe)"
expect_eq "crash loop signal" SIGSEGV "$(field "$loop" .annotations.signal)"
expect_eq "crash loop example pids (the crashed ones, in order)" "$(IFS=,; echo "${CRASHED[*]}")" \
	"$(field "$loop" .annotations.example_pids)"
expect_eq "hostmon_alert_canary_crashes_total" 3 "$(alert_metric a hostmon_alert_canary_crashes_total)"

agent_stop 13
wait_notes '.notification == "firing" and .labels.alertname == "HostmonStreamHostSilent" and .labels.host == "hostmon-test"' 1 15
OUT=$T/out-2.jsonl AGENT_LOG=$T/hostmond-2.log
agent_start proc
wait_notes '.notification == "resolved" and .labels.alertname == "HostmonStreamHostSilent"' 1 15
wait_notes '.labels.alertname == "HostmonStreamAgentRestarted" and .labels.host == "hostmon-test"' 1 10
agent_stop 13

expect_eq "alerts posted about $CTL (the canary)" 0 "$(posts "[.[] | select(.labels.exe == \"$CTL\")] | length")"
expect_eq "crash loop alerts posted for the crasher" 1 "$(posts "[.[] | select($mine)] | length")"
echo "ok: $(posts 'length') alerts posted"
