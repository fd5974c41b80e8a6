#!/bin/bash
# The shipped alert rules end to end: a real Prometheus (Debian's prometheus)
# scrapes a real hostmond over --metrics-listen, evaluates
# packaging/prometheus/hostmon.rules.yml with every duration divided by 30
# (nothing else changed: checked), and sends to a real Alertmanager (Debian's
# prometheus-alertmanager), all on 127.0.0.1 ports picked here. A crash loop
# of the crasher helper and a storm of refused connects to a closed loopback
# port must reach Alertmanager's v2 API as HostmonCrashLoop (host, exe) and
# HostmonConnectionErrors (host, endpoint) with the runbook of each, and
# resolve once they stop; Prometheus's counters must equal the crashes and
# refusals the test made. hostmonctl selftest, run 4 times meanwhile (its
# canary crashes 4 times, over the rule's threshold of 3), must never make a
# crash alert, in Alertmanager or in Prometheus's ALERTS.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/crasher"
require_file "$HELPERS/netpeer"
require_file "$BUILD/hostmonctl"
PROMETHEUS=${PROMETHEUS:-prometheus}
ALERTMANAGER=${ALERTMANAGER:-prometheus-alertmanager}
for tool in "$PROMETHEUS" "$ALERTMANAGER" promtool; do
	command -v "$tool" >/dev/null ||
		fail "$tool not installed (Debian packages prometheus, prometheus-alertmanager; tools/install-deps)"
done
SHIPPED=$ROOT/packaging/prometheus/hostmon.rules.yml
HOST=hostmon-e2e-$$
SCALE=30

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
mport=$(free_port) pport=$(free_port) aport=$(free_port) closed=$(free_port)

# The test's copy of the rules: each duration (for:, [range], offset) divided
# by SCALE, in seconds. With every duration blanked out, the two files must
# be the same text.
scale_rules() {
	perl -pe 's/(for: |\[|offset )(\d+)([smhd])\b/$1 . int($2 * {s => 1, m => 60, h => 3600, d => 86400}->{$3} \/ '"$SCALE"') . "s"/ge' "$1"
}
blank() {
	perl -pe 's/(for: |\[|offset )\d+[smhd]\b/$1D/g' "$1"
}
scale_rules "$SHIPPED" >"$T/rules.yml"
diff <(blank "$SHIPPED") <(blank "$T/rules.yml") >"$T/rules.diff" ||
	fail "the test's rules differ from the shipped ones in more than durations: $(head -n 5 "$T/rules.diff")"
expect_cmp "lines with durations scaled in the test's rules" \
	"$(diff "$SHIPPED" "$T/rules.yml" | grep -c '^>' || true)" -ge 10
grep -q 'offset 20s' "$T/rules.yml" || fail "scaled rules: no 'offset 20s' (10m / $SCALE) in $T/rules.yml"
promtool check rules "$T/rules.yml" >/dev/null || fail "promtool check rules on the scaled copy $T/rules.yml"

printf '[agent]\ninterval = 1\nhost_id = %s\n' "$HOST" | write_config
AGENT_ARGS=(--metrics-listen "127.0.0.1:$mport")
agent_start syscalls proc net

mkdir "$T/am" "$T/prom"
printf '%s\n' 'route:' '  receiver: nobody' '  group_wait: 1s' '  group_interval: 1s' \
	'  repeat_interval: 1h' 'receivers:' '  - name: nobody' >"$T/alertmanager.yml"
"$ALERTMANAGER" --config.file="$T/alertmanager.yml" --storage.path="$T/am" \
	--web.listen-address="127.0.0.1:$aport" --cluster.listen-address= \
	--log.level=warn >"$T/alertmanager.log" 2>&1 &
track $!
printf '%s\n' 'global:' '  scrape_interval: 1s' '  evaluation_interval: 1s' \
	'rule_files:' "  - $T/rules.yml" \
	'alerting:' '  alertmanagers:' '    - static_configs:' "        - targets: [\"127.0.0.1:$aport\"]" \
	'scrape_configs:' '  - job_name: hostmon' '    static_configs:' \
	"      - targets: [\"127.0.0.1:$mport\"]" >"$T/prometheus.yml"
"$PROMETHEUS" --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
	--web.listen-address="127.0.0.1:$pport" --rules.alert.resend-delay=1s \
	--log.level=warn >"$T/prometheus.log" 2>&1 &
track $!

# am_alerts NAME_MATCHER: Alertmanager's active alerts whose alertname
# matches (=NAME or =~RE), a JSON array.
am_alerts() {
	curl -sS --max-time 5 -G "http://127.0.0.1:$aport/api/v2/alerts" \
		--data-urlencode "filter=alertname$1" --data-urlencode active=true \
		--data-urlencode silenced=false --data-urlencode inhibited=false 2>/dev/null || echo null
}
# prom_query EXPR: the result vector of an instant query, a JSON array.
prom_query() {
	curl -sS --max-time 5 -G "http://127.0.0.1:$pport/api/v1/query" \
		--data-urlencode "query=$1" 2>/dev/null | jq -c '.data.result'
}
# wait_for WHAT SECONDS CMD...: until CMD succeeds; every alert Alertmanager
# holds at each try is kept in $T/seen.jsonl.
wait_for() {
	local what=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 4; i++)); do
		am_alerts '=~.+' | jq -c '.[]?' >>"$T/seen.jsonl" 2>/dev/null || true
		"$@" && return 0
		nap 0.25
	done
	fail "$what: not within $secs s (Prometheus: $(tail -n 3 "$T/prometheus.log"); Alertmanager: $(tail -n 3 "$T/alertmanager.log"))"
}
am_up() { curl -sf --max-time 2 "http://127.0.0.1:$aport/-/ready" >/dev/null; }
target_up() { [[ $(prom_query 'up{job="hostmon"}' | jq -r '.[0].value[1]') == 1 ]]; }
wait_for "Alertmanager ready on 127.0.0.1:$aport" 20 am_up
wait_for "Prometheus scraping hostmond on 127.0.0.1:$mport" 30 target_up
t0=$SECONDS

# The storm, in the background until $T/stop-storm: refuse-loops of 50
# connects each, their refusals added up in $T/refused.
(
	while [[ ! -e "$T/stop-storm" ]]; do
		"$HELPERS/netpeer" refuse-loop 127.0.0.1 "$closed" 50 0 | awk '{print $2}' >>"$T/refused"
		nap 0.2
	done
) &
storm=$!
track "$storm"

# The crash loop: 3 crashes every half second for 3 s; then the canary 4 times.
crashes=0
for ((round = 0; round < 6; round++)); do
	segv_crashes 3
	crashes=$((crashes + 3))
	nap 0.5
done
for ((i = 0; i < 4; i++)); do
	"$BUILD/hostmonctl" --socket "$SOCK" selftest >"$T/selftest.out" 2>&1 ||
		fail "hostmonctl selftest $i failed: $(cat "$T/selftest.out")"
	grep -q '^PASS process_crash: .*marked canary' "$T/selftest.out" ||
		fail "selftest $i: its canary crash not seen: $(cat "$T/selftest.out")"
done
CRASHER=$(readlink -f "$HELPERS/crasher")

crash_alert() {
	CRASH=$(am_alerts '="HostmonCrashLoop"' |
		jq -c --arg exe "$CRASHER" '[.[]? | select(.labels.exe == $exe)] | first // empty')
	[[ -n "$CRASH" ]]
}
conn_alert() {
	CONN=$(am_alerts '="HostmonConnectionErrors"' |
		jq -c --arg ep "127.0.0.1:$closed" '[.[]? | select(.labels.endpoint == $ep)] | first // empty')
	[[ -n "$CONN" ]]
}
wait_for "HostmonCrashLoop for $CRASHER in Alertmanager" 30 crash_alert
echo "HostmonCrashLoop in Alertmanager $((SECONDS - t0)) s after the start: $CRASH"
wait_for "HostmonConnectionErrors for 127.0.0.1:$closed in Alertmanager" 30 conn_alert
echo "HostmonConnectionErrors in Alertmanager $((SECONDS - t0)) s after the start: $CONN"
touch "$T/stop-storm"
wait_child "$storm" 10

expect_eq "HostmonCrashLoop labels" \
	"$(jq -cn --arg h "$HOST" --arg e "$CRASHER" --arg i "127.0.0.1:$mport" \
		'{alertname: "HostmonCrashLoop", exe: $e, host: $h, instance: $i, job: "hostmon", severity: "critical"}')" \
	"$(jq -c '.labels' <<<"$CRASH")"
expect_eq "HostmonCrashLoop runbook_url" docs/runbooks/crash-loop.md \
	"$(jq -r '.annotations.runbook_url' <<<"$CRASH")"
expect_eq "HostmonConnectionErrors labels" \
	"$(jq -cn --arg h "$HOST" --arg ep "127.0.0.1:$closed" --arg i "127.0.0.1:$mport" \
		'{alertname: "HostmonConnectionErrors", direction: "out", endpoint: $ep, host: $h, instance: $i, job: "hostmon", protocol: "tcp", severity: "warning"}')" \
	"$(jq -c '.labels' <<<"$CONN")"
expect_eq "HostmonConnectionErrors runbook_url" docs/runbooks/connection-errors.md \
	"$(jq -r '.annotations.runbook_url' <<<"$CONN")"
jq -e '.annotations.summary | startswith("100% of connects to ")' <<<"$CONN" >/dev/null ||
	fail "HostmonConnectionErrors summary: expected 100% of connects failing, got $(jq -c .annotations <<<"$CONN")"

# Ground truth: what Prometheus scraped is what the test did.
refused=$(awk '{s += $1} END {print s + 0}' "$T/refused")
expect_cmp "refused connects the storm made" "$refused" -ge 100
counted() {	# counted EXPR WANT: Prometheus's value of EXPR is WANT
	GOT=$(prom_query "$1" | jq -r '.[0].value[1] // "none"')
	[[ "$GOT" == "$2" ]]
}
wait_for "Prometheus's refusals for 127.0.0.1:$closed = $refused" 15 counted \
	"hostmon_endpoint_connection_errors_total{endpoint=\"127.0.0.1:$closed\",kind=\"refused\"}" "$refused"
wait_for "Prometheus's crashes of $CRASHER = $crashes" 15 counted \
	"hostmon_exe_crashes_total{exe=\"$CRASHER\"}" "$crashes"
wait_for "Prometheus's canary crashes = 4" 15 counted hostmon_selftest_crashes_total 4

# Both resolve: the storm stopped, the loop is over.
crash_gone() { ! crash_alert; }
conn_gone() { ! conn_alert; }
wait_for "HostmonConnectionErrors resolved after the storm" 40 conn_gone
echo "HostmonConnectionErrors resolved $((SECONDS - t0)) s after the start"
wait_for "HostmonCrashLoop resolved after the loop" 40 crash_gone
echo "HostmonCrashLoop resolved $((SECONDS - t0)) s after the start"

# Resolved by Prometheus, still scraping, not by Alertmanager timing them out.
target_up || fail "Prometheus no longer scrapes hostmond: $(tail -n 3 "$T/prometheus.log")"
expect_eq "ALERTS of the crash loop and the storm still in Prometheus" "[]" \
	"$(prom_query "ALERTS{alertname=~\"HostmonCrashLoop|HostmonConnectionErrors\",exe=~\"|$CRASHER\",endpoint=~\"|127.0.0.1:$closed\"}")"

# The canary: never a crash alert for hostmonctl, neither in what
# Alertmanager held at any poll nor pending or firing in Prometheus.
CTL=$(readlink -f "$BUILD/hostmonctl")
expect_eq "HostmonCrashLoop alerts for $CTL seen in Alertmanager" 0 \
	"$(jq -s --arg e "$CTL" '[.[] | select(.labels.alertname == "HostmonCrashLoop" and .labels.exe == $e)] | length' "$T/seen.jsonl")"
expect_eq "ALERTS for hostmonctl in Prometheus over the test" "[]" \
	"$(prom_query 'count_over_time(ALERTS{alertname="HostmonCrashLoop",exe=~".*hostmonctl"}[10m])')"
expect_cmp "HostmonCrashLoop states Prometheus recorded for the crasher" \
	"$(prom_query "count_over_time(ALERTS{alertname=\"HostmonCrashLoop\",exe=\"$CRASHER\"}[10m])" |
		jq -r '.[0].value[1] // 0')" -ge 1
agent_stop
echo "PASS: crash loop and refused-connect storm alerted and resolved, the canary silent, in $((SECONDS - t0)) s"
