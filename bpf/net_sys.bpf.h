/*
 * The net family's connect() and accept() exits inside the syscall family's
 * object: its sys_exit program runs on every syscall anyway, so naming
 * socket owners there costs other syscalls one compare, where the syscalls:
 * tracepoints would switch on the kernel's per-syscall tracepoint dispatch.
 */
#ifndef HOSTMON_NET_SYS_BPF_H
#define HOSTMON_NET_SYS_BPF_H

/*
 * Include after vmlinux.h, the libbpf headers, histogram.h, exe.h,
 * family.bpf.h, task.bpf.h, exe.bpf.h, self.bpf.h and the family's own
 * header defining SC_DROP_EXE_MAP. Every map below and in net_core.bpf.h is
 * the net object's, reused by fd before load (agent/probes/net_family.c net__share).
 */
#include "net.h"

/* Set by hostmond between open and load: true when the net family's maps are handed over. */
const volatile bool net_exits = false;

/* The net family's ring buffer and drops: this object has its own under the plain names. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} net_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NET_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} net_drops SEC(".maps");

#define NET_EVENTS	net_events
#define NET_DROPS	net_drops
/* The exe is noted by this object: a failure is the syscall family's exe_map drop. */
#define NET_EXE_DROP	SC_DROP_EXE_MAP
#include "net_core.bpf.h"

/* x86_64 numbers; 32-bit callers (TS_COMPAT) number syscalls otherwise and pass args in other registers. */
#define NET_NR_CONNECT	42
#define NET_NR_ACCEPT	43
#define NET_NR_ACCEPT4	288
#define NET_TS_COMPAT	0x0002

/*
 * From the syscall family's sys_exit, on every syscall: regs are the
 * caller's, whose di, si (connect's fd and sockaddr) the kernel leaves as
 * they came. regs is read directly (a BTF pointer), not through a helper:
 * this runs on every syscall.
 */
static __always_inline void net_sys_exit(const struct pt_regs *regs, long ret)
{
	struct task_struct *task;
	long nr;

	if (!net_exits)
		return;
	nr = regs->orig_ax;
	if (nr != NET_NR_CONNECT && nr != NET_NR_ACCEPT && nr != NET_NR_ACCEPT4)
		return;
	task = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(task, thread_info.status) & NET_TS_COMPAT)
		return;
	if (nr == NET_NR_CONNECT)
		net_connect_exited(regs->di, (const void *)regs->si, ret);
	else
		net_accept_exited(ret);
}

#endif /* HOSTMON_NET_SYS_BPF_H */
