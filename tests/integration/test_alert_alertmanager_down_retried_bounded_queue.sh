#!/bin/bash
# Alertmanager down (nothing listens behind the recorder: every POST gets
# 502): hostmon-alert keeps its alerts queued, retries with backoff (a few
# requests a second, not a busy loop), holds their offsets uncommitted and
# counts every failure in /metrics; when Alertmanager comes up every queued
# alert arrives. A second instance (its own group) with a queue of 2 drops
# the oldest of 3 alerts and says so in its log and in
# hostmon_alert_alerts_dropped_total: nothing is given up silently.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/alert_lib.sh"

alert_topic 1
am_recorder_start
alert_config <<-EOF
	[silent]
	intervals = 1000
EOF
sed 's/^retry_max_ms = .*/&\nqueue_max = 2/' "$T/alert.ini" >"$T/alert-q.ini"
alert_start a
ALERT_INI=$T/alert-q.ini alert_start q --group-id "$GROUP-q"
wait_assigned a 5 40
wait_assigned q 5 40

fleetsim -n 4 -i 500 -w 6 --crash 0:/usr/bin/a:3@1 --crash 1:/usr/bin/b:3@2 --crash 2:/usr/bin/c:3@3
wait_metric a hostmon_alert_queue_alerts -eq 3 15
down_from=$(date +%s.%N)
wait_metric a hostmon_alert_alertmanager_errors_total -ge 5 15
nap 3
errors=$(alert_metric a hostmon_alert_alertmanager_errors_total)
down_for=$(jq -n "$(date +%s.%N) - $down_from")
echo "while down: $errors failed POSTs in $(jq -n "$down_for * 10 | round / 10") s"
expect_cmp "failed POSTs per second while down (backoff up to 1 s)" \
	"$(jq -n "$errors / $down_for | floor")" -le 5
expect_eq "alerts sent while down" 0 "$(alert_metric a hostmon_alert_alerts_sent_total)"
expect_eq "alertmanager_last_status while down" 502 "$(alert_metric a hostmon_alert_alertmanager_last_status)"
expect_cmp "effects holding the commit" "$(alert_metric a hostmon_alert_effects_pending)" -ge 3
expect_eq "instance q: queue" 2 "$(alert_metric q hostmon_alert_queue_alerts)"
expect_eq "instance q: alerts dropped" 1 "$(alert_metric q hostmon_alert_alerts_dropped_total)"
grep -q 'queue full (2 alerts): dropping the oldest, HostmonStreamCrashLoop{sim-host-00000}' "$T/alert-q.log" ||
	fail "instance q's log does not name the dropped alert: $(grep -i queue "$T/alert-q.log" | head -n 3)"

am_start
wait_notes '.labels.alertname == "HostmonStreamCrashLoop"' 3 20
wait_metric a hostmon_alert_alerts_sent_total -eq 3 10
wait_metric q hostmon_alert_alerts_sent_total -eq 2 10
expect_eq "instance a: alerts dropped" 0 "$(alert_metric a hostmon_alert_alerts_dropped_total)"
wait_metric a hostmon_alert_effects_pending -eq 0 5
expect_eq "crash loops at the webhook" '"/usr/bin/a /usr/bin/b /usr/bin/c"' \
	"$(notes '[.[] | select(.labels.alertname == "HostmonStreamCrashLoop") | .labels.exe] | sort | join(" ")')"
echo "ok: $(alert_metric a hostmon_alert_alertmanager_requests_total) requests from a"
