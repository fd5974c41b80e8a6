#!/bin/bash
# packaging/hostmond.service is a valid unit (systemd-analyze verify prints
# nothing) and its CapabilityBoundingSet is enough: hostmond started with
# exactly those capabilities attaches every probe family, then holds none
# (bounding set cleared). Without CAP_SETPCAP it still drops everything it
# holds and says the bounding set was left as the service manager set it.
. "$(dirname "$0")/lib.sh"
require_root
UNIT=$ROOT/packaging/hostmond.service
[[ -f $UNIT ]] || fail "$UNIT not found"
command -v capsh >/dev/null || fail "capsh not found (Debian package libcap2-bin)"
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found (Debian package systemd)"

# The unit as installed, with ExecStart pointing at this build.
sed "s|/usr/local/sbin/hostmond|$HOSTMOND|" "$UNIT" >"$T/hostmond.service"
systemd-analyze verify "$T/hostmond.service" >"$T/verify" 2>&1 ||
	fail "systemd-analyze verify failed: $(cat "$T/verify")"
[[ ! -s $T/verify ]] || fail "systemd-analyze verify complained: $(cat "$T/verify")"

wanted=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z ' 'a-z,')
[[ -n $wanted ]] || fail "no CapabilityBoundingSet in $UNIT"
all=$(capsh --print | sed -n 's/^Bounding set =//p')

# run_bounded CAPS: hostmond (agent_start) with only CAPS in its bounding
# set: as root, exec leaves it exactly those.
run_bounded() {
	local keep=",$1," drop= cap
	for cap in ${all//,/ }; do
		[[ $keep == *",$cap,"* ]] || drop+=$cap,
	done
	AGENT_WRAP=(capsh --drop="${drop%,}" --)
	# capsh runs its arguments with bash: -c 'exec "$0" "$@"' keeps them intact.
	AGENT_WRAP+=(-c 'exec "$0" "$@"')
	agent_start syscalls proc net
}

run_bounded "$wanted"
expect_eq "CapBnd of hostmond started with the unit's set" 0000000000000000 \
	"$(awk '$1 == "CapBnd:" { print $2 }' /proc/"$AGENT_PID"/status)"
expect_eq "CapEff of hostmond" 0000000000000000 "$(awk '$1 == "CapEff:" { print $2 }' /proc/"$AGENT_PID"/status)"
grep -q 'privileges dropped: no capabilities left, no_new_privs set"$' "$AGENT_LOG" ||
	fail "expected the drop logged with the bounding set cleared: $(grep 'privileges' "$AGENT_LOG")"
agent_stop

: >"$OUT"
run_bounded "${wanted/,cap_setpcap/}"
expect_eq "CapEff of hostmond started without CAP_SETPCAP" 0000000000000000 \
	"$(awk '$1 == "CapEff:" { print $2 }' /proc/"$AGENT_PID"/status)"
expect_eq "CapPrm of hostmond started without CAP_SETPCAP" 0000000000000000 \
	"$(awk '$1 == "CapPrm:" { print $2 }' /proc/"$AGENT_PID"/status)"
grep -q 'no_new_privs set (bounding set left as the service manager set it: no CAP_SETPCAP)' "$AGENT_LOG" ||
	fail "expected the drop logged with the bounding set left: $(grep 'privileges' "$AGENT_LOG")"
agent_stop
echo "ok: the unit verifies, its capabilities ($wanted) attach every family, none kept after"
