#!/bin/bash
# A process OOM-killed in a 64 MiB memory cgroup gives an oom_kill event with
# its pid and cgroup, and a process_crash with SIGKILL and oom_killed true.
. "$(dirname "$0")/lib.sh"
CG=hostmon-test-$$

agent_start proc
oom_killed_memhog "$CG"
pid=$HOG_PID
agent_stop

oom=$(one_event oom_kill ".pid == $pid")
expect_field "$oom" .comm memhog
expect_field "$oom" .memcg "/$CG"
# Killed at the 64 MiB limit, nearly all of it anonymous memory (kB, not pages).
expect_cmp "oom_kill anon_rss_kb" "$(field "$oom" .anon_rss_kb)" -ge $((32 << 10))
expect_cmp "oom_kill anon_rss_kb" "$(field "$oom" .anon_rss_kb)" -le $((64 << 10))
crash=$(one_event process_crash ".pid == $pid")
expect_field "$crash" .signal 9
expect_field "$crash" .oom_killed true
expect_cmp "oom_kills summed over all metrics windows" "$(sum_metric oom_kills)" -ge 1
