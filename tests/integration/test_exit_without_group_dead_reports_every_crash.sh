#!/bin/bash
# The proc family's path for kernels whose sched_process_exit has no
# group_dead (before 6.16; forced here with HOSTMON_FEATURES_OFF): /health
# names it, and each of many crashes in a row is reported once, with its exe
# (the exe map's, the mm being gone by then) — a new process whose
# signal_struct reuses a reported one's address is not taken for it.
. "$(dirname "$0")/lib.sh"
require_file "$HELPERS/crasher"
N=40

export HOSTMON_FEATURES_OFF=group_dead
agent_start proc
path=$(field "$(api /health)" .probes.proc.path)
[[ $path == "exit without group_dead"* ]] ||
	fail "/health probes.proc.path: expected the path without group_dead, got '$path'"
segv_crashes "$N"
pids=("${CRASHED[@]}")
agent_stop

for p in "${pids[@]}"; do
	ev=$(one_event process_crash ".pid == $p")
	expect_field "$ev" .signal_name SIGSEGV
	expect_field "$ev" '.exe | startswith("/") and endswith("/crasher")' true
done
