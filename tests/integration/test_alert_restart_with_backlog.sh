#!/bin/bash
# hostmon-alert stopped while the fleet keeps sending, started again on the
# backlog: what it had sent before is not sent again, what happened while it
# was down is (a crash loop, a crash wave), a crash loop whose first two
# crashes came before the stop and the third after fires once with all three
# counted (state rebuilt by replaying from the committed offset's metadata),
# and no host that kept sending is called silent (a backlog read within one
# tick cannot show the backlog's own time deciding silence: test_alert_rules
# checks part__now).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/alert_lib.sh"

alert_topic 2
am_start
alert_config </dev/null
alert_start a
wait_assigned a 6 40

# 8 hosts, 0.5 s windows for 14 s. Before the stop: host 1's loop (window 2),
# two crashes of /usr/bin/split on host 5 (window 4). While stopped: a wave
# (window 14), host 2's loop (window 16), split's third crash (window 18).
"$FLEETSIM" -b "$BROKERS" -t "$TOPIC" -n 8 -i 500 -w 28 --crash 1:/usr/bin/before:3@2 \
	--crash 5:/usr/bin/split:2@4 --wave /usr/bin/during:4@14 --crash 2:/usr/bin/during-loop:3@16 \
	--crash 5:/usr/bin/split:1@18 >"$T/fleetsim.out" 2>&1 &
sim=$!
track $sim
wait_notes '.labels.alertname == "HostmonStreamCrashLoop" and .labels.exe == "/usr/bin/before"' 1 20
nap 1 # window 6: split's first two crashes are read
kill -TERM "${ALERT_PIDS[a]}"
wait_child "${ALERT_PIDS[a]}" 15
expect_eq "hostmon-alert exit status after SIGTERM" 0 "$CHILD_RC"
grep -q 'component=kafka msg="commit' "$T/alert-a.log" && fail "commit failed: $(grep 'msg="commit' "$T/alert-a.log")"
stopped_at=$(date +%s)

wait_child $sim 30
expect_eq "hostmon-fleetsim exit status" 0 "$CHILD_RC"
echo "backlog of $(( $(date +%s) - stopped_at )) s; restarting"
alert_start a
wait_notes '.labels.alertname == "HostmonStreamCrashWave" and .labels.exe == "/usr/bin/during"' 1 30
wait_notes '.labels.alertname == "HostmonStreamCrashLoop" and .labels.exe == "/usr/bin/during-loop"' 1 30
wait_notes '.labels.alertname == "HostmonStreamCrashLoop" and .labels.exe == "/usr/bin/split"' 1 30
split=$(posts '[.[] | select(.labels.exe == "/usr/bin/split")]')
expect_eq "split crash loop posts" 1 "$(jq length <<<"$split")"
expect_eq "split crash loop count (2 before the stop, 1 after)" '"3"' "$(jq '.[0].annotations.count' <<<"$split")"
expect_eq "posts of the loop sent before the stop" 1 \
	"$(posts '[.[] | select(.labels.exe == "/usr/bin/before")] | length')"
# Silence: only once the fleet stopped (all 8 hosts, after the backlog was read).
end_ns=$(posts '[.[] | select(.labels.alertname == "HostmonStreamCrashLoop") | .startsAt] | max')
early=$(posts "[.[] | select(.labels.alertname == \"HostmonStreamHostSilent\" and .startsAt < $end_ns)] | length")
expect_eq "silent-host alerts starting before the fleet's last crash loop" 0 "$early"
expect_cmp "records replayed after the restart" "$(alert_metric a hostmon_alert_records_replayed_total)" -gt 0
echo "ok: replayed $(alert_metric a hostmon_alert_records_replayed_total) records; $(posts 'length') alerts posted"
