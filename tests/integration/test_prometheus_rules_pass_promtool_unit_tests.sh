#!/bin/bash
# The shipped alert rules (packaging/prometheus/hostmon.rules.yml) pass
# promtool check rules and their unit tests (packaging/prometheus/tests/*.yml:
# each alert fires, does not fire where it must not, and resolves; the
# canary's crashes never make a crash-loop alert); every rule has a test and
# a runbook_url naming a page that exists; every hostmon_ metric the rules
# read is one the agent writes (agent/serve/exposition*.c).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=$ROOT/packaging/prometheus
RULES=$DIR/hostmon.rules.yml
fail() {
	echo "FAIL [$(basename "$0" .sh)]: $*" >&2
	exit 1
}
command -v promtool >/dev/null || fail "promtool not installed (Debian package prometheus; tools/install-deps)"

promtool check rules "$RULES" || fail "promtool check rules $RULES"
tests=("$DIR"/tests/*.yml)
[[ -e "${tests[0]}" ]] || fail "no unit tests in $DIR/tests"
promtool test rules "${tests[@]}" || fail "promtool test rules ${tests[*]}"

alerts=$(grep -oP '^\s*- alert: \K\w+' "$RULES")
[[ $(wc -l <<<"$alerts") -ge 13 ]] || fail "expected at least 13 alerts in $RULES, got: $alerts"
for a in $alerts; do
	grep -q "alertname: $a\$" "${tests[@]}" || fail "alert $a has no promtool test in $DIR/tests"
	# A firing case: an expected alert with its labels.
	grep -q "alertname: $a," "${tests[@]}" || fail "alert $a: no test expects it to fire"
done
urls=$(grep -oP '^\s*runbook_url: "\K[^"]+' "$RULES")
[[ $(wc -l <<<"$urls") == $(wc -l <<<"$alerts") ]] ||
	fail "expected one runbook_url per alert ($(wc -l <<<"$alerts")), got $(wc -l <<<"$urls")"
for u in $urls; do
	[[ -f "$ROOT/$u" ]] || fail "runbook_url $u: no such file in the repository"
done
for m in $(grep -oP '\bhostmon_[a-z_]+\b' "$RULES" | sort -u); do
	grep -q "\"$m\"" "$ROOT"/agent/serve/exposition*.c ||
		fail "the rules read $m, which agent/serve/exposition*.c does not write"
done
echo "PASS: $(wc -l <<<"$alerts") alerts, $(grep -c '^  - name:' "${tests[@]}" | awk -F: '{s += $2} END {print s}') promtool test groups"
