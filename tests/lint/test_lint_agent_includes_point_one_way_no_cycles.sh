#!/bin/bash
# agent/'s #include lines point one way down the stages (tools/check-includes,
# docs/architecture.md) and form no cycle between modules. The checker is
# also shown to catch what it is for, on copies of agent/: an include that
# points back up (core including the daemon), one sideways (serve including
# a probe family), a cycle within a stage, and a stray file outside the
# stage folders each fail it, naming the file and line.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
check=$root/tools/check-includes
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$check" "$root/agent" || { echo "FAIL: agent/ has includes that point back up or cycle"; exit 1; }

# plant NAME FILE LINE EXPECT: a copy of agent/ with LINE appended to FILE
# fails the check, and the findings contain EXPECT.
plant() {
	local name=$1 file=$2 line=$3 expect=$4 out rc=0
	rm -rf "$tmp/agent" && cp -r "$root/agent" "$tmp/agent"
	printf '%s\n' "$line" >>"$tmp/agent/$file"
	out=$("$check" "$tmp/agent" 2>&1) || rc=$?
	if ((rc == 0)); then
		echo "FAIL: $name: the check passed with '$line' in $file"
		exit 1
	fi
	if ! grep -qF -- "$expect" <<<"$out"; then
		echo "FAIL: $name: expected a finding with '$expect', got:"
		echo "$out"
		exit 1
	fi
	echo "ok: $name: $(grep -F -- "$expect" <<<"$out" | head -n 1)"
}

plant "back up" core/log.c '#include "daemon/daemon.h"' \
	'core/log.c:'
plant "sideways" serve/statsock.c '#include "probes/family.h"' \
	'serve includes "probes/family.h"'
# A cycle within a stage: hist.h -> pbjson.h -> hist.h.
rm -rf "$tmp/agent" && cp -r "$root/agent" "$tmp/agent"
echo '#include "record/pbjson.h"' >>"$tmp/agent/record/hist.h"
echo '#include "record/hist.h"' >>"$tmp/agent/record/pbjson.h"
if out=$("$check" "$tmp/agent" 2>&1) || ! grep -q 'cycle: record/hist -> record/pbjson -> record/hist' <<<"$out"; then
	echo "FAIL: a two-module cycle was not reported:"
	echo "$out"
	exit 1
fi
echo "ok: two-module cycle: $(grep cycle: <<<"$out")"
rm -rf "$tmp/agent" && cp -r "$root/agent" "$tmp/agent"
touch "$tmp/agent/stray.c"
if "$check" "$tmp/agent" >/dev/null 2>&1; then
	echo "FAIL: a file outside the stage folders passed"
	exit 1
fi
echo "ok: stray file caught"
