// SPDX-License-Identifier: GPL-2.0
/* Process crashes: deaths by signal (one per process), who sent the signal, OOM kills. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "proc.h"

#define FAMILY_DROP_MAX	PROC_DROP_MAX
#include "family.bpf.h"
#include "task.bpf.h"
#include "exe.bpf.h"

#define PF_KTHREAD		0x00200000
#define SIGNAL_GROUP_EXIT	0x00000004
#define SI_KERNEL		0x80
/* Signals whose default action ends the process (not CHLD, CONT, STOP, URG, WINCH, ...). */
#define FATAL_SIGNALS		((1U << 1) | (1U << 2) | (1U << 3) | (1U << 4) | \
				 (1U << 5) | (1U << 6) | (1U << 7) | (1U << 8) | \
				 (1U << 9) | (1U << 10) | (1U << 11) | (1U << 12) | \
				 (1U << 13) | (1U << 14) | (1U << 15) | (1U << 16) | \
				 (1U << 24) | (1U << 25) | (1U << 26) | (1U << 27) | \
				 (1U << 29) | (1U << 30) | (1U << 31))

/* Kernels before 6.15 name the kernfs parent pointer "parent". */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

/* Before 6.2 the mm's counters are atomics in one struct, not an array of percpu_counters. */
struct mm_rss_stat___pre62 {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PROC_PENDING_ENTRIES);
	__type(key, __u32);			/* target tgid */
	__type(value, struct proc_sender);
} senders SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PROC_PENDING_ENTRIES);
	__type(key, __u32);			/* victim tgid */
	__type(value, __u32);
} oom_victims SEC(".maps");

/*
 * Kernels without group_dead: the processes already reported, by their
 * signal_struct and start (a later process may get the same address).
 */
struct proc_reported {
	__u64 signal;
	__u64 start_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PROC_PENDING_ENTRIES);
	__type(key, struct proc_reported);
	__type(value, __u8);
} reported SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PROC_EXIT_COMMS);
	__type(key, char[TASK_COMM_LEN]);
	__type(value, __u64);
} exit_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROC_COUNTS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

/* One of the mm's page counters (MM_FILEPAGES, ...), in either layout. */
static __always_inline long mm_pages(struct mm_struct *mm, int member)
{
	struct mm_struct___pre62 *old = (void *)mm;

	if (bpf_core_field_exists(mm->rss_stat[0].count))
		return BPF_CORE_READ(mm, rss_stat[member & 3].count);
	return BPF_CORE_READ(old, rss_stat.count[member & 3].counter);
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	struct kernfs_node___old *old = (void *)kn;

	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ(old, parent);
}

/* dentry_step's (path.bpf.h) counterpart for a kernfs node: kernel pointers copied out first. */
static long kernfs_step(__u32 i, struct path_walk *w)
{
	struct kernfs_node *kn = w->kn, *parent = kn_parent(kn);

	/* The root contributes no name. */
	if (!parent)
		return 1;
	if (!path_push(w->p, BPF_CORE_READ(kn, name)))
		return 1;
	w->kn = parent;
	return 0;
}

/* A cgroup's path from its kernfs node, leaf first. */
static void read_kernfs_path(struct proc_path *p, struct kernfs_node *kn)
{
	struct path_walk w = { .p = p, .kn = kn };

	p->depth = 0;
	p->truncated = 0;
	p->len = 0;
	if (!kn)
		return;
	for (int i = 0; i < PROC_PATH_DEPTH + 1; i++)
		if (kernfs_step(i, &w))
			return;
}

static __always_inline struct kernfs_node *memcg_kn(struct task_struct *task)
{
	int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);

	return BPF_CORE_READ(task, cgroups, subsys[id], cgroup, kn);
}

SEC("tp_btf/signal_generate")
int BPF_PROG(proc_signal, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	struct proc_sender s = {};
	__u32 tgid, self;
	int code;

	if (result != 0 || sig <= 0 || sig >= 32 || !(FATAL_SIGNALS & (1U << sig)))
		return 0;
	/* SEND_SIG_NOINFO (0) is a user kill, SEND_SIG_PRIV (1) the kernel's. */
	if ((unsigned long)info <= 1)
		code = (unsigned long)info ? SI_KERNEL : 0;
	else
		code = BPF_CORE_READ(info, si_code);
	if (code > 0)
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	self = bpf_get_current_pid_tgid() >> 32;
	if (tgid == self)
		return 0;
	s.pid = self;
	s.sig = sig;
	bpf_get_current_comm(s.comm, sizeof(s.comm));
	if (bpf_map_update_elem(&senders, &tgid, &s, BPF_ANY))
		count_drop(PROC_DROP_PENDING_MAP);
	return 0;
}

static void count_exit(struct task_struct *task)
{
	char comm[TASK_COMM_LEN] = {};
	__u64 zero = 0, *n;

	BPF_CORE_READ_STR_INTO(&comm, task, group_leader, comm);
	n = bpf_map_lookup_elem(&exit_counts, comm);
	if (!n) {
		/* -EEXIST: another CPU inserted it first, which is fine. */
		bpf_map_update_elem(&exit_counts, comm, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&exit_counts, comm);
	}
	if (!n) {
		count_drop(PROC_DROP_EXIT_MAP);
		return;
	}
	__sync_fetch_and_add(n, 1);
}

/*
 * The crashed process's exe: walked from its mm, or where the mm is gone
 * already (the exit tracepoint fires after exit_mm before 6.16) the one the
 * exe map noted for this process at its exec or an earlier event.
 */
static __always_inline void crash_exe(struct proc_path *p, struct task_struct *task,
				      struct task_struct *leader, __u32 tgid)
{
	struct file *f = BPF_CORE_READ(task, mm, exe_file);
	struct exe_entry *x;

	if (f) {
		read_file_path(p, f);
		return;
	}
	p->depth = 0;
	p->truncated = 0;
	p->len = 0;
	x = bpf_map_lookup_elem(&exe_paths, &tgid);
	if (x && x->start_ns == BPF_CORE_READ(leader, start_boottime))
		bpf_probe_read_kernel(p, sizeof(*p), &x->path);
}

static void emit_crash(struct task_struct *task, __u32 tgid, __u32 code)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct proc_crash_event *e;
	struct proc_sender *s;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(PROC_DROP_CRASH_EVENT);
		return;
	}
	e->kind = PROC_EV_CRASH;
	e->pid = tgid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->exit_code = code;
	e->ts_ns = bpf_ktime_get_ns();
	e->age_ns = e->ts_ns - BPF_CORE_READ(leader, start_time);
	BPF_CORE_READ_STR_INTO(&e->comm, leader, comm);
	s = bpf_map_lookup_elem(&senders, &tgid);
	if (s && s->sig == (code & 0x7f)) {
		e->sender_pid = s->pid;
		__builtin_memcpy(e->sender_comm, s->comm, sizeof(e->sender_comm));
	} else {
		e->sender_pid = 0;
		e->sender_comm[0] = 0;
	}
	e->oom_killed = bpf_map_lookup_elem(&oom_victims, &tgid) != NULL;
	crash_exe(&e->exe, task, leader, tgid);
	e->cgid = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	read_kernfs_path(&e->cgroup, BPF_CORE_READ(task, cgroups, dfl_cgrp, kn));
	read_kernfs_path(&e->memcg, memcg_kn(task));
	bpf_ringbuf_submit(e, 0);
}

/* Called once per process, by its last exiting thread. */
static void process_died(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 code = BPF_CORE_READ(task, exit_code);

	if (BPF_CORE_READ(task, signal, flags) & SIGNAL_GROUP_EXIT)
		code = BPF_CORE_READ(task, signal, group_exit_code);
	if (code & 0x7f) {
		bump(&counts, code & 0x7f);
		emit_crash(task, tgid, code);
	}
	else if (code & 0xff00)
		count_exit(task);
	bpf_map_delete_elem(&senders, &tgid);
	bpf_map_delete_elem(&oom_victims, &tgid);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit, struct task_struct *task, bool group_dead)
{
	if (!group_dead || (BPF_CORE_READ(task, flags) & PF_KTHREAD))
		return 0;
	process_died(task);
	return 0;
}

/*
 * For kernels whose tracepoint has no group_dead: the first thread to see
 * live == 0 reports, once per process (signal_struct and start).
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit_legacy, struct task_struct *task)
{
	struct proc_reported key;
	__u8 one = 1;

	if (BPF_CORE_READ(task, signal, live.counter) != 0 ||
	    (BPF_CORE_READ(task, flags) & PF_KTHREAD))
		return 0;
	key.signal = (__u64)BPF_CORE_READ(task, signal);
	key.start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	if (bpf_map_update_elem(&reported, &key, &one, BPF_NOEXIST))
		return 0;
	process_died(task);
	return 0;
}

/* Every new program's exe, so that the pid cache finds it without /proc/PID/exe. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 start_ns, exec_id;

	current_proc_id(&start_ns, &exec_id);
	exe_note_current(BPF_CORE_READ(p, tgid), start_ns, exec_id, PROC_DROP_EXE_MAP);
	return 0;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(proc_oom, struct task_struct *task, uid_t uid)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	struct proc_oom_event *e;
	__u32 tgid = BPF_CORE_READ(task, tgid), one = 1;

	bump(&counts, PROC_COUNT_OOM);
	if (bpf_map_update_elem(&oom_victims, &tgid, &one, BPF_ANY))
		count_drop(PROC_DROP_PENDING_MAP);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(PROC_DROP_OOM_EVENT);
		return 0;
	}
	e->kind = PROC_EV_OOM;
	e->pid = tgid;
	e->uid = uid;
	e->ts_ns = bpf_ktime_get_ns();
	e->oom_score_adj = BPF_CORE_READ(task, signal, oom_score_adj);
	e->total_vm = BPF_CORE_READ(mm, total_vm);
	e->file_rss = mm_pages(mm, MM_FILEPAGES);
	e->anon_rss = mm_pages(mm, MM_ANONPAGES);
	e->shmem_rss = mm_pages(mm, MM_SHMEMPAGES);
	e->pgtables_bytes = BPF_CORE_READ(mm, pgtables_bytes.counter);
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	e->cgid = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	read_kernfs_path(&e->memcg, memcg_kn(task));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
