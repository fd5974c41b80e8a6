#!/bin/bash
# hostmon-alert on a simulated fleet (hostmon-fleetsim) through the real
# broker into a real Alertmanager: each rule's alert reaches Alertmanager's
# webhook with its labels and evidence (crash loop with count, signal, core
# flag and pids; crash wave across hosts through the by-exe topic; OOM kill
# per container; silent host; lost records; agent restart; degraded agent),
# and resolves: the crash loop when its window passes, the silent host when it
# sends again, the degraded agent when it reports running. Five canary crashes
# (hostmonctl selftest's) never alert. Its /metrics count what it did.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/alert_lib.sh"

alert_topic 3
am_start
alert_config <<-EOF
	[crash_loop]
	window = 4
	[crash_wave]
	window = 4
	[oom]
	window = 4
	[records_lost]
	hold = 4
EOF
alert_start a
wait_assigned a 7 30

# 1 s windows; host 1 crash-loops /usr/bin/loopy, hosts 0-3 crash /usr/bin/wavy
# once each, host 2 runs the canary 5 times, host 3 has an OOM kill, host 4 is
# silent from window 2 to 8, host 5 loses 3 records, host 6 restarts, host 7
# is degraded from window 2 to 6.
fleetsim -n 8 -i 1000 -w 12 --crash 1:/usr/bin/loopy:4@1 --wave /usr/bin/wavy:4@2 \
	--canary 2:5@1 --oom 3:c0ffee@2 --silence 4@2 --resume 4@8 --gap 5:3@3 --restart 6@3 \
	--degraded 7@2 --running 7@6

firing='.notification == "firing" and .status == "firing"'
wait_notes "$firing and .labels.alertname == \"HostmonStreamCrashLoop\"" 1 10
loop=$(notes "[.[] | select($firing and .labels.alertname == \"HostmonStreamCrashLoop\")] | first")
expect_eq "crash loop host" sim-host-00001 "$(jq -r .labels.host <<<"$loop")"
expect_eq "crash loop exe" /usr/bin/loopy "$(jq -r .labels.exe <<<"$loop")"
expect_eq "crash loop signal" SIGSEGV "$(jq -r .annotations.signal <<<"$loop")"
expect_eq "crash loop core_dumped" true "$(jq -r .annotations.core_dumped <<<"$loop")"
expect_eq "crash loop count at firing" 3 "$(jq -r .annotations.count <<<"$loop")"
[[ $(jq -r .annotations.example_pids <<<"$loop") =~ ^[0-9]+,[0-9]+,[0-9]+$ ]] ||
	fail "crash loop example_pids: expected three pids, got $(jq -r .annotations.example_pids <<<"$loop")"
[[ $(jq -r .annotations.runbook_url <<<"$loop") == docs/runbooks/stream-alerts.md#crash-loop ]] ||
	fail "crash loop runbook_url: got $(jq -r .annotations.runbook_url <<<"$loop")"

wait_notes "$firing and .labels.alertname == \"HostmonStreamCrashWave\"" 1 10
wave=$(notes "[.[] | select($firing and .labels.alertname == \"HostmonStreamCrashWave\")] | first")
expect_eq "crash wave exe" /usr/bin/wavy "$(jq -r .labels.exe <<<"$wave")"
expect_cmp "crash wave hosts (3 fire it, 4 crash)" "$(jq -r .annotations.hosts <<<"$wave")" -ge 3
[[ $(jq -r .annotations.example_hosts <<<"$wave") =~ ^sim-host-0000[0-3](,sim-host-0000[0-3]){2,3}$ ]] ||
	fail "crash wave example_hosts: expected 3 or 4 of hosts 0-3, got $(jq -r .annotations.example_hosts <<<"$wave")"

wait_notes "$firing and .labels.alertname == \"HostmonStreamOomKill\" and .labels.container == \"c0ffee\" and .labels.host == \"sim-host-00003\"" 1 10
wait_notes "$firing and .labels.alertname == \"HostmonStreamRecordsLost\" and .labels.host == \"sim-host-00005\"" 1 10
lost=$(notes "[.[] | select(.labels.alertname == \"HostmonStreamRecordsLost\")] | first | .annotations.summary" | jq -r .)
[[ $lost == "3 records lost on sim-host-00005"* ]] || fail "records lost summary: got '$lost'"
wait_notes "$firing and .labels.alertname == \"HostmonStreamAgentRestarted\" and .labels.host == \"sim-host-00006\"" 1 10
wait_notes "$firing and .labels.alertname == \"HostmonStreamAgentDegraded\" and .labels.host == \"sim-host-00007\"" 1 10
wait_notes "$firing and .labels.alertname == \"HostmonStreamHostSilent\" and .labels.host == \"sim-host-00004\"" 1 10

resolved='.notification == "resolved" and .status == "resolved"'
wait_notes "$resolved and .labels.alertname == \"HostmonStreamCrashLoop\"" 1 15
wait_notes "$resolved and .labels.alertname == \"HostmonStreamAgentDegraded\" and .labels.host == \"sim-host-00007\"" 1 10
wait_notes "$resolved and .labels.alertname == \"HostmonStreamHostSilent\" and .labels.host == \"sim-host-00004\"" 1 10

# The canary: no alert of any kind names it or its host's crashes.
expect_eq "alerts posted about the canary (hostmonctl, host 2's crashes)" 0 \
	"$(posts '[.[] | select(.labels.exe == "/usr/bin/hostmonctl" or (.labels.host == "sim-host-00002" and (.labels.alertname | test("Crash"))))] | length')"
expect_eq "hostmon_alert_canary_crashes_total" 5 "$(alert_metric a hostmon_alert_canary_crashes_total)"
# Only the silent host went silent while the fleet ran (the others fall silent after it stops).
expect_eq "hosts with a silent alert" '"sim-host-00004"' \
	"$(posts '[.[] | select(.labels.alertname == "HostmonStreamHostSilent") | .labels.host] | unique | join(",")')"
expect_cmp "hostmon_alert_alerts_sent_total" "$(alert_metric a hostmon_alert_alerts_sent_total)" -ge 9
expect_eq "hostmon_alert_alerts_dropped_total" 0 "$(alert_metric a hostmon_alert_alerts_dropped_total)"
expect_eq "hostmon_alert_consumer_lag_records" 0 "$(alert_metric a hostmon_alert_consumer_lag_records)"
expect_eq "hostmon_alert_crashes_forwarded_total (4 loop + 4 wave)" 8 \
	"$(alert_metric a hostmon_alert_crashes_forwarded_total)"
kill -TERM "${ALERT_PIDS[a]}"
wait_child "${ALERT_PIDS[a]}" 15
expect_eq "hostmon-alert exit status after SIGTERM" 0 "$CHILD_RC"
echo "ok: $(notes 'length') notifications, $(posts 'length') alerts posted"
