// SPDX-License-Identifier: GPL-2.0
/* Syscall latency: log-linear histograms per syscall, per-CPU counts, errno counts, slow-call events. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "histogram.h"
#include "syscalls.h"
#include "exe.h"

#define FAMILY_DROP_MAX	SC_DROP_MAX
#include "family.bpf.h"
#include "task.bpf.h"
#include "exe.bpf.h"
#include "self.bpf.h"
#include "net_sys.bpf.h"

/* Set by hostmond between open and load. */
const volatile __u64 traced[SC_BITMAP_WORDS] = {};	/* histogram these */
const volatile __u64 blocking[SC_BITMAP_WORDS] = {};	/* never "slow" */
const volatile __u64 slow_threshold_ns = 10000000;
const volatile bool slow_events = true;
/*
 * Sampling of very hot syscalls ([syscalls] sample_above): past this many
 * calls of one syscall on one CPU in a window, one call in SC_SAMPLE_STRIDE
 * is timed (its histogram weight SC_SAMPLE_STRIDE), the rest only counted.
 * 0: every call timed.
 */
const volatile __u64 sample_above = 0;

/* Count calls per workload (cgroup) too ([workloads] enabled). */
const volatile bool workloads = true;

/* Window epoch, advanced by hostmond at each window end (selects the max slot). */
__u64 epoch = 0;
/* Set by hostmond under overload: slow_syscall events are shed (counted), counts kept. */
__u32 shed = 0;

/* A traced call in flight: counted at its exit, timed when ts is set. */
struct sc_start {
	__u64 ts;	/* entry time; 0: not timed (a sampled syscall's untimed call) */
	__u32 nr;
	__u16 weight;	/* calls this timed one stands for in the histogram */
	__u16 live;	/* a call is in flight */
};

/* Where a call's start waits for its exit: task storage from 5.11 ... */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sc_start);
} starts SEC(".maps");

/*
 * ... and on 5.10 a hash keyed by thread id, one entry a thread that made a
 * traced call, deleted when the thread exits (sc_thread_exit). hostmond
 * loads one pair of programs or the other (agent/probes/syscall_family.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SC_THREAD_ENTRIES);
	__type(key, __u32);
	__type(value, struct sc_start);
} thread_starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SC_MAX_NR);
	__type(key, __u32);
	__type(value, struct sc_stats);
} stats SEC(".maps");

/* Sized by hostmond to hist_shards * SC_MAX_NR; mapped by hostmond to read the windows. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SC_MAX_NR);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sc_hist);
} hists SEC(".maps");

const volatile __u32 hist_shards = 1;
/* More possible CPUs than shards: a shard is shared, its adds are atomic. */
const volatile bool hist_atomic = false;

/* Errors are rare next to calls: one shared count each, added atomically. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SC_ERRNO_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sc_errno_key);
	__type(value, __u64);
} errnos SEC(".maps");

/* Sized by hostmond ([workloads] max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SC_CG_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sc_cg_key);
	__type(value, struct sc_cg_stats);
} cg_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SC_CG_ERRNO_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sc_cg_errno_key);
	__type(value, __u64);
} cg_errnos SEC(".maps");

/* A zeroed sc_cg_stats to insert from: larger than the BPF stack. Never written. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sc_cg_stats);
} cg_zero SEC(".maps");

static __always_inline bool in_set(const volatile __u64 *set, __u32 nr)
{
	return set[(nr / 64) % SC_BITMAP_WORDS] & (1ULL << (nr % 64));
}

/* The agent's own calls are not timed, so sc_exit neither counts them nor reports them slow. */
static __always_inline bool timed(long id)
{
	return (unsigned long)id < SC_MAX_NR && in_set(traced, id) && !current_is_self();
}

/*
 * How many calls this one stands for if timed, 0 if it is only counted: 1
 * until the syscall passes sample_above calls on this CPU in this window,
 * then SC_SAMPLE_STRIDE for one call in SC_SAMPLE_STRIDE, drawn by a per-CPU
 * xorshift (a stride would alias with a workload's own period).
 */
static __always_inline __u16 sample_weight(__u32 nr)
{
	struct sc_stats *st;
	__u64 ep = epoch, x;

	if (!sample_above)
		return 1;
	st = bpf_map_lookup_elem(&stats, &nr);
	if (!st)
		return 1;
	if (st->win_epoch != (__u32)ep) {
		st->win_epoch = ep;
		st->win_calls = 0;
	}
	if (st->win_calls++ < sample_above)
		return 1;
	x = st->rng ? st->rng : 0x9E3779B97F4A7C15ULL ^ nr;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	st->rng = x;
	return (x >> 32) % SC_SAMPLE_STRIDE ? 0 : SC_SAMPLE_STRIDE;
}

static __always_inline void start(struct sc_start *s, long id)
{
	__u16 w = sample_weight(id);

	s->nr = id;
	s->live = 1;
	s->weight = w;
	s->ts = w ? bpf_ktime_get_ns() : 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sc_enter, struct pt_regs *regs, long id)
{
	struct sc_start *s;

	if (!timed(id))
		return 0;
	s = bpf_task_storage_get(&starts, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count_drop(SC_DROP_TASK_STORAGE);
		return 0;
	}
	start(s, id);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sc_enter_thread, struct pt_regs *regs, long id)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sc_start *s, fresh = {};

	if (!timed(id))
		return 0;
	s = bpf_map_lookup_elem(&thread_starts, &tid);
	if (!s) {
		start(&fresh, id);
		if (bpf_map_update_elem(&thread_starts, &tid, &fresh, BPF_NOEXIST))
			count_drop(SC_DROP_THREAD_MAP);
		return 0;
	}
	start(s, id);
	return 0;
}

/* The thread is gone: its entry too, so that the map holds live threads only. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sc_thread_exit)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&thread_starts, &tid);
	return 0;
}

/*
 * The value of key in map, inserted from init if absent; NULL (counted as
 * drop) when the map is full. -EEXIST from the insert means another CPU
 * inserted it first, which is fine.
 */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *init,
					    __u32 drop)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		count_drop(drop);
	return v;
}

static __always_inline void count_errno(__u32 nr, long ret)
{
	struct sc_errno_key key = { .nr = nr, .err = -ret };
	__u64 zero = 0, *n = lookup_or_init(&errnos, &key, &zero, SC_DROP_ERRNO_MAP);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/*
 * The workload's entry for nr: its cgroup v2 id, as the kernel keys the
 * caller's cgroup. A new entry notes the caller's tgid, so that hostmond can
 * name the cgroup from that process's /proc/PID/cgroup.
 */
static __always_inline struct sc_cg_stats *cg_entry(__u64 cgid, __u32 nr)
{
	struct sc_cg_key key = { .cgid = cgid, .nr = nr };
	struct sc_cg_stats *v = bpf_map_lookup_elem(&cg_stats, &key);
	__u32 zero_key = 0;
	void *zero;

	if (v)
		return v;
	zero = bpf_map_lookup_elem(&cg_zero, &zero_key);
	if (!zero)
		return NULL;
	v = lookup_or_init(&cg_stats, &key, zero, SC_DROP_CG_MAP);
	if (v && !v->tgid)
		v->tgid = bpf_get_current_pid_tgid() >> 32;
	return v;
}

static __always_inline void cg_count_errno(__u64 cgid, __u32 nr, long ret)
{
	struct sc_cg_errno_key key = { .cgid = cgid, .nr = nr, .err = -ret };
	__u64 zero = 0, *n = lookup_or_init(&cg_errnos, &key, &zero, SC_DROP_CG_ERRNO_MAP);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline void emit_slow(__u64 now, __u64 lat, __u32 nr, long ret)
{
	struct slow_syscall_event *e;
	__u64 id = bpf_get_current_pid_tgid(), start_ns, exec_id;

	/* Before the reservation: the walk of a new process's path holds nothing, and the exe
	 * is in the map before the agent can read the event. */
	current_proc_id(&start_ns, &exec_id);
	exe_note_current(id >> 32, start_ns, exec_id, SC_DROP_EXE_MAP);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(SC_DROP_SLOW_EVENT);
		return;
	}
	e->ts_ns = now;
	e->latency_ns = lat;
	e->ret = ret;
	e->pid = (__u32)id;
	e->tgid = id >> 32;
	e->nr = nr;
	e->start_ns = start_ns;
	e->exec_id = exec_id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, detail_wakeup(0));
}

static __always_inline void record_max(struct sc_stats *st, __u64 lat)
{
	__u64 ep = epoch;
	__u32 slot = ep & 1;

	if (st->max_epoch[slot] != (__u32)ep) {
		st->max_epoch[slot] = ep;
		st->max_ns[slot] = lat;
	} else if (lat > st->max_ns[slot]) {
		st->max_ns[slot] = lat;
	}
}

static __always_inline void add_hist(__u32 nr, __u64 lat, __u16 weight)
{
	__u32 key = (bpf_get_smp_processor_id() % hist_shards) * SC_MAX_NR + nr;
	struct sc_hist *h = bpf_map_lookup_elem(&hists, &key);
	__u32 b = hist_bucket(lat) % HIST_BUCKETS;

	if (!h)
		return;
	if (hist_atomic)
		__sync_fetch_and_add(&h->hist[b], weight);
	else
		h->hist[b] += weight;
}

/* The call for its workload: counted, its error and (timed) its latency too. */
/*
 * The call for its workload. A timed call counts weight calls (1, or
 * SC_SAMPLE_STRIDE once its syscall is sampled on this CPU) and its latency;
 * an untimed call of a sampled syscall is left to the timed ones, but for its
 * error, counted exactly. So a sampled syscall's per-workload calls are an
 * estimate, and a syscall as hot as that pays for the workload map one call
 * in SC_SAMPLE_STRIDE.
 */
static __always_inline void cg_add(__u32 nr, long ret, __u64 lat, __u16 weight)
{
	bool failed = ret < 0 && ret >= -4095;
	struct sc_cg_stats *cg;
	__u64 cgid;

	if (!weight && !failed)
		return;
	cgid = bpf_get_current_cgroup_id();
	cg = cg_entry(cgid, nr);
	if (!cg)
		return;
	if (failed) {
		__sync_fetch_and_add(&cg->errors, 1);
		cg_count_errno(cgid, nr, ret);
	}
	if (!weight)
		return;
	__sync_fetch_and_add(&cg->calls, weight);
	__sync_fetch_and_add(&cg->hist[(hist_bucket(lat) >> SC_CG_SHIFT) % SC_CG_BUCKETS], weight);
}

/* The call s started is over: counted and, if it was timed, timed and, if slow, reported. */
static __always_inline void finish(struct sc_start *s, long ret)
{
	struct sc_stats *st;
	__u32 nr = s->nr;
	__u64 now = 0, lat = 0;
	__u16 weight = s->ts ? s->weight : 0;

	s->live = 0;
	st = bpf_map_lookup_elem(&stats, &nr);
	if (!st)
		return;
	st->calls++;
	if (ret < 0 && ret >= -4095) {
		st->errors++;
		count_errno(nr, ret);
	}
	if (weight) {
		now = bpf_ktime_get_ns();
		lat = now - s->ts;
	}
	if (workloads)
		cg_add(nr, ret, lat, weight);
	if (!weight)
		return;
	s->ts = 0;
	st->timed++;
	add_hist(nr, lat, weight);
	record_max(st, lat);
	if (!slow_events || lat < slow_threshold_ns || in_set(blocking, nr))
		return;
	if (shed)
		count_drop(SC_DROP_SHED);
	else
		emit_slow(now, lat, nr, ret);
}

/* No start for the agent's own calls (sc_enter): the lookup finds none. */
SEC("tp_btf/sys_exit")
int BPF_PROG(sc_exit, struct pt_regs *regs, long ret)
{
	struct sc_start *s = bpf_task_storage_get(&starts, bpf_get_current_task_btf(), 0, 0);

	net_sys_exit(regs, ret);
	if (s && s->live)
		finish(s, ret);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sc_exit_thread, struct pt_regs *regs, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sc_start *s = bpf_map_lookup_elem(&thread_starts, &tid);

	net_sys_exit(regs, ret);
	if (s && s->live)
		finish(s, ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
