/* Syscall latency family: map values and events shared by syscalls.bpf.c and hostmond. */
#ifndef HOSTMON_SYSCALLS_H
#define HOSTMON_SYSCALLS_H

/* Syscall numbers covered (x86_64 numbers are below 512). */
#define SC_MAX_NR		512
#define SC_BITMAP_WORDS		(SC_MAX_NR / 64)
/* Distinct (syscall, errno) pairs counted; beyond that, failed updates are counted. */
#define SC_ERRNO_ENTRIES	4096
#define TASK_COMM_LEN		16

/*
 * Histogram shards: CPU c adds to shard c % shards, with atomic adds only when
 * there are more possible CPUs than shards. hostmond sizes the map to
 * min(possible CPUs, SC_HIST_SHARDS_MAX) shards, so the histograms take at
 * most SC_HIST_SHARDS_MAX * SC_MAX_NR * 4 KiB however many CPUs the host has.
 */
#define SC_HIST_SHARDS_MAX	2
/* Threads whose call start the 5.10 path (no task storage) can hold at once. */
#define SC_THREAD_ENTRIES	32768

/* One call in this many of a very hot syscall is timed (BPF sample_above). */
#define SC_SAMPLE_STRIDE	8
/* [syscalls] sample_above's default: calls of one syscall on one CPU in a window. */
#define SC_SAMPLE_ABOVE_DEFAULT	65536

/*
 * Per workload (the caller's cgroup v2 id) and syscall: RED in one shared
 * entry, added atomically, cumulative like sc_stats. The histogram is the
 * host's buckets merged SC_CG_SHIFT at a time (8 linear sub-buckets per power
 * of two instead of 32: a percentile within 6.25% instead of 1.6%), so an
 * entry is 1 KiB and the map a bounded SC_CG_ENTRIES of them whatever the
 * number of CPUs. A full map is counted (cgroup_map drops); hostmond deletes
 * the entries of workloads idle for a window.
 */
#define SC_CG_SHIFT		2
#define SC_CG_BUCKETS		(HIST_BUCKETS >> SC_CG_SHIFT)
#define SC_CG_ENTRIES		3072
#define SC_CG_ERRNO_ENTRIES	4096

struct sc_cg_key {
	__u64 cgid;
	__u32 nr;
	__u32 pad;
};

struct sc_cg_stats {
	__u64 calls;
	__u64 errors;
	__u32 tgid;		/* a process of the cgroup: the one whose call made the entry */
	__u32 pad;
	__u32 hist[SC_CG_BUCKETS];	/* u32: wraps like sc_hist */
};

struct sc_cg_errno_key {
	__u64 cgid;
	__u32 nr;
	__u32 err;	/* positive errno */
};

/*
 * Per-CPU, per syscall number; cumulative since load, hostmond diffs windows.
 * 64 bytes (epochs kept modulo 2^32): a cache line, 4 MiB on 128 CPUs.
 */
struct sc_stats {
	__u64 calls;
	__u64 errors;
	__u64 timed;		/* calls timed: all of them unless sampled */
	/* Window maximum, double-buffered by the low bit of the window epoch. */
	__u32 max_epoch[2];
	__u64 max_ns[2];
	/* Sampling (BPF sample_weight): calls entered in window win_epoch, its xorshift. */
	__u32 win_epoch;
	__u32 win_calls;
	__u64 rng;
};

/* Per shard and syscall number (shard * SC_MAX_NR + nr); cumulative like sc_stats. */
struct sc_hist {
	/* u32 wraps; hostmond diffs windows modulo 2^32, so only a window's count must fit. */
	__u32 hist[HIST_BUCKETS];
};

struct sc_errno_key {
	__u32 nr;
	__u32 err;	/* positive errno */
};

enum sc_drop {
	SC_DROP_SLOW_EVENT,	/* ring buffer full: slow_syscall event lost */
	SC_DROP_ERRNO_MAP,	/* errno map full: a (syscall, errno) count lost */
	SC_DROP_TASK_STORAGE,	/* no task storage: a call was not timed */
	SC_DROP_SHED,		/* brownout: slow_syscall event not sent, counts kept */
	SC_DROP_EXE_MAP,	/* exe path not noted: exe map update failed */
	SC_DROP_THREAD_MAP,	/* 5.10 path: thread map full, a call was not timed */
	SC_DROP_CG_MAP,		/* workload map full: a call not counted for its workload */
	SC_DROP_CG_ERRNO_MAP,	/* workload errno map full: an error's errno not counted for its workload */
	SC_DROP_MAX,
};

struct slow_syscall_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC at exit */
	__u64 latency_ns;
	__s64 ret;
	__u64 start_ns;		/* process start and exec generation (bpf/task.bpf.h) */
	__u64 exec_id;
	__u32 pid;		/* thread id */
	__u32 tgid;		/* process id */
	__u32 nr;
	char comm[TASK_COMM_LEN];
};

#endif /* HOSTMON_SYSCALLS_H */
