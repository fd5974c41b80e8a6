/* Who the current process is across pid reuse and execve: its start time and exec generation. */
#ifndef HOSTMON_TASK_BPF_H
#define HOSTMON_TASK_BPF_H

/* Include after vmlinux.h, bpf_helpers.h and bpf_core_read.h. */

/*
 * The current task for BPF_CORE_READ: bpf_get_current_task() exists on every
 * kernel we support, bpf_get_current_task_btf() only from 5.11, and the
 * reads here go through probe-read either way.
 */
static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/*
 * The thread group leader's start (boot-time ns, what /proc/PID/stat's
 * starttime counts in clock ticks) and its self_exec_id, which execve bumps
 * and new threads inherit: with the pid they name one program of one process.
 */
static __always_inline void current_proc_id(__u64 *start_ns, __u64 *exec_id)
{
	struct task_struct *leader = BPF_CORE_READ(current_task(), group_leader);

	*start_ns = BPF_CORE_READ(leader, start_boottime);
	*exec_id = BPF_CORE_READ(leader, self_exec_id);
}

#endif /* HOSTMON_TASK_BPF_H */
