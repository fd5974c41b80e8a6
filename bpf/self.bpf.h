/* hostmond itself: whether the current task is the agent, whose own calls a family leaves out. */
#ifndef HOSTMON_SELF_BPF_H
#define HOSTMON_SELF_BPF_H

/* Include after vmlinux.h and bpf_helpers.h. */

/*
 * Set by hostmond before load: its own tgid, or 0 ([agent] trace_self) to
 * trace it like any process. Otherwise every record the agent writes would
 * make syscalls, and every syscall a record, of the agent.
 */
const volatile __u32 self_tgid = 0;

/* One helper call and one compare: cheap enough for the first line of a hot path. */
static __always_inline bool current_is_self(void)
{
	return self_tgid && bpf_get_current_pid_tgid() >> 32 == self_tgid;
}

#endif /* HOSTMON_SELF_BPF_H */
