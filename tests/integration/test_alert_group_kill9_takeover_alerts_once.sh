#!/bin/bash
# Two hostmon-alert instances in one consumer group share a 4-partition
# topic (and the by-exe topic); one is killed with SIGKILL mid-stream. The
# other takes over all its partitions, and every expected alert (12 crash
# loops on 12 hosts, 3 crash waves across hosts, 4 hosts falling silent
# before the kill, then the other 16 when the fleet stops) reaches
# Alertmanager's webhook exactly once, and hostmon-alert posted no alert
# twice: offsets committed only after an alert was delivered, state rebuilt
# from the committed metadata, whose list of silent hosts already alerted on
# keeps the new owner from alerting on them again.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/alert_lib.sh"

alert_topic 4
am_start
alert_config <<-EOF
	[crash_wave]
	hosts = 4
EOF
alert_start a
alert_start b
wait_assigned a 4 40
wait_assigned b 4 40

# 20 hosts, 0.5 s windows for 16 s: host h crash-loops /usr/bin/loop-h at
# window 2h + 1; waves of 6 hosts at windows 5, 15 and 25; hosts 16-19 fall
# silent at window 2 (their alerts go out before the kill, from whichever
# instance holds their partitions).
events=(--silence 16@2 --silence 17@2 --silence 18@2 --silence 19@2)
for h in $(seq 0 11); do events+=(--crash "$h:/usr/bin/loop-$h:3@$((2 * h + 1))"); done
for w in 5 15 25; do events+=(--wave "/usr/bin/wave-$w:6@$w"); done
"$FLEETSIM" -b "$BROKERS" -t "$TOPIC" -n 20 -i 500 -w 32 "${events[@]}" >"$T/fleetsim.out" 2>&1 &
sim=$!
track $sim

# Mid-stream, once 3 crash loops are posted, instance a dies: 0.3 s after a
# post and before the next, as a kill would mostly land (one landing between a
# post and its commit, a few ms, has the alert sent again: docs/hostmon-alert.md).
for ((i = 0; i < 200; i++)); do
	(($(posts '[.[] | select(.labels.alertname == "HostmonStreamCrashLoop")] | length') >= 3)) && break
	nap 0.1
done
nap 0.3
kill -9 "${ALERT_PIDS[a]}"
wait "${ALERT_PIDS[a]}" 2>/dev/null || true
killed_at=$(date +%s.%N)
echo "killed instance a after $(posts '[.[] | select(.labels.alertname == "HostmonStreamCrashLoop")] | length') crash loop posts"
wait_assigned b 8 30
echo "instance b holds all 8 partitions $(jq -n "$(date +%s.%N) - $killed_at | . * 10 | round / 10") s after the kill"
wait_child $sim 40
expect_eq "hostmon-fleetsim exit status" 0 "$CHILD_RC"

wait_notes '.labels.alertname == "HostmonStreamCrashLoop"' 12 30
wait_notes '.labels.alertname == "HostmonStreamCrashWave"' 3 30
wait_notes '.labels.alertname == "HostmonStreamHostSilent"' 20 30
nap 3 # a duplicate would show within Alertmanager's group interval (1 s)

firing_counts() {
	notes "[.[] | select(.notification == \"firing\" and .labels.alertname == \"$1\") | .labels.$2] |
		group_by(.) | map(\"\\(.[0])=\\(length)\") | join(\" \")"
}
want=$(for h in $(seq 0 11); do echo "/usr/bin/loop-$h"; done | LC_ALL=C sort | sed 's/$/=1/' | xargs)
expect_eq "crash loop notifications per exe" "\"$want\"" "$(firing_counts HostmonStreamCrashLoop exe)"
expect_eq "crash wave notifications per exe" '"/usr/bin/wave-15=1 /usr/bin/wave-25=1 /usr/bin/wave-5=1"' \
	"$(firing_counts HostmonStreamCrashWave exe)"
want=$(for h in $(seq 0 19); do printf 'sim-host-%05d=1 ' "$h"; done | xargs)
expect_eq "silent host notifications per host" "\"$want\"" "$(firing_counts HostmonStreamHostSilent host)"
# No alert posted twice: the same labels, times and evidence only once.
dups=$(posts '[.[] | del(.at, .upstream)] | group_by(.) | map(select(length > 1) |
	"\(.[0].labels.alertname) \(.[0].labels.host // .[0].labels.exe) x\(length)") | join(", ")')
expect_eq "alerts hostmon-alert posted more than once" '""' "$dups"
expect_eq "crash loop alerts posted (each once)" 12 \
	"$(posts '[.[] | select(.labels.alertname == "HostmonStreamCrashLoop")] | length')"
expect_cmp "records instance b replayed to rebuild a's partitions' state" \
	"$(alert_metric b hostmon_alert_records_replayed_total)" -gt 0
echo "ok: $(posts 'length') alerts posted, $(notes 'length') notifications"
