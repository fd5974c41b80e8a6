#!/bin/bash
# A process killed by another with kill -9 gives a process_crash with SIGKILL
# naming the sender's pid and comm.
. "$(dirname "$0")/lib.sh"

agent_start proc
sleep 30 &
pid=$!
track "$pid"
# Kill it as `sleep`, not as the shell that forked it.
wait_comm "$pid" sleep
kill -9 "$pid"
wait_child "$pid" 5
expect_eq "sleep exit status after kill -9" 137 "$CHILD_RC"
agent_stop

ev=$(one_event process_crash ".pid == $pid")
expect_field "$ev" .signal 9
expect_field "$ev" .signal_name SIGKILL
expect_field "$ev" .comm sleep
expect_field "$ev" .sender_pid "$$"
expect_field "$ev" .sender_comm "$(cat /proc/$$/comm)"
