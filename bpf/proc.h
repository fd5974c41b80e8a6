/* Process crash family: events shared by proc.bpf.c and hostmond. */
#ifndef HOSTMON_PROC_H
#define HOSTMON_PROC_H

#include "exe.h"

#ifndef TASK_COMM_LEN
#define TASK_COMM_LEN		16
#endif
/* Pending fatal-signal senders and OOM victims remembered until exit. */
#define PROC_PENDING_ENTRIES	8192
/* Distinct comms whose non-zero exits are counted. */
#define PROC_EXIT_COMMS		4096

/* Per-CPU counts, exact even when events are lost: [PROC_COUNT_OOM], then [signal]. */
#define PROC_COUNT_OOM		0
#define PROC_COUNTS		65

enum proc_event_kind {
	PROC_EV_CRASH = 1,
	PROC_EV_OOM,
};

enum proc_drop {
	PROC_DROP_CRASH_EVENT,	/* ring buffer full: process_crash lost */
	PROC_DROP_OOM_EVENT,	/* ring buffer full: oom_kill lost */
	PROC_DROP_PENDING_MAP,	/* sender / victim map full */
	PROC_DROP_EXIT_MAP,	/* non-zero exit count lost: comm map full */
	PROC_DROP_EXE_MAP,	/* an exec's exe path not noted: exe map update failed */
	PROC_DROP_MAX,
};

struct proc_crash_event {
	__u32 kind;		/* PROC_EV_CRASH */
	__u32 pid;		/* tgid */
	__u32 ppid;
	__u32 exit_code;	/* raw wait status: signal in bits 0-6, core bit 0x80 */
	__u32 sender_pid;	/* 0: the kernel or the process itself */
	__u32 oom_killed;
	__u64 ts_ns;
	__u64 age_ns;
	__u64 cgid;		/* default (v2) cgroup's id: the workload */
	char comm[TASK_COMM_LEN];
	char sender_comm[TASK_COMM_LEN];
	struct proc_path exe;
	struct proc_path cgroup;	/* default (v2) hierarchy */
	struct proc_path memcg;		/* memory controller's cgroup */
};

struct proc_oom_event {
	__u32 kind;		/* PROC_EV_OOM */
	__u32 pid;
	__u32 uid;
	__s32 oom_score_adj;
	__u64 ts_ns;
	/* pages */
	__u64 total_vm;
	__u64 anon_rss;
	__u64 file_rss;
	__u64 shmem_rss;
	__u64 pgtables_bytes;
	__u64 cgid;		/* default (v2) cgroup's id: the workload */
	char comm[TASK_COMM_LEN];
	struct proc_path memcg;
};

struct proc_sender {
	__u32 pid;
	__u32 sig;
	char comm[TASK_COMM_LEN];
};

#endif /* HOSTMON_PROC_H */
