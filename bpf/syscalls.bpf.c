// SPDX-License-Identifier: GPL-2.0
/* Syscall latency: per-CPU log-linear histograms per syscall, errno counts, slow-call events. */
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

/* Window epoch, advanced by hostmond at each window end (selects the max slot). */
__u64 epoch = 0;
/* Set by hostmond under overload: slow_syscall events are shed (counted), counts kept. */
__u32 shed = 0;

struct sc_start {
	__u64 ts;
	__u32 nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sc_start);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SC_MAX_NR);
	__type(key, __u32);
	__type(value, struct sc_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SC_ERRNO_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sc_errno_key);
	__type(value, __u64);
} errnos SEC(".maps");

static __always_inline bool in_set(const volatile __u64 *set, __u32 nr)
{
	return set[(nr / 64) % SC_BITMAP_WORDS] & (1ULL << (nr % 64));
}

/* The agent's own calls are not timed, so sc_exit neither counts them nor reports them slow. */
SEC("tp_btf/sys_enter")
int BPF_PROG(sc_enter, struct pt_regs *regs, long id)
{
	struct sc_start *s;

	if ((unsigned long)id >= SC_MAX_NR || !in_set(traced, id) || current_is_self())
		return 0;
	s = bpf_task_storage_get(&starts, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count_drop(SC_DROP_TASK_STORAGE);
		return 0;
	}
	s->nr = id;
	s->ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline void count_errno(__u32 nr, long ret)
{
	struct sc_errno_key key = { .nr = nr, .err = -ret };
	__u64 zero = 0, *n;

	n = bpf_map_lookup_elem(&errnos, &key);
	if (!n) {
		/* -EEXIST: another CPU inserted it first, which is fine. */
		bpf_map_update_elem(&errnos, &key, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&errnos, &key);
	}
	if (!n) {
		count_drop(SC_DROP_ERRNO_MAP);
		return;
	}
	*n += 1;
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

	if (st->max_epoch[slot] != ep) {
		st->max_epoch[slot] = ep;
		st->max_ns[slot] = lat;
	} else if (lat > st->max_ns[slot]) {
		st->max_ns[slot] = lat;
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sc_exit, struct pt_regs *regs, long ret)
{
	struct sc_stats *st;
	struct sc_start *s;
	__u64 now, lat;
	__u32 nr;

	net_sys_exit(regs, ret);
	/* No start for the agent's own calls (sc_enter): the lookup finds none. */
	s = bpf_task_storage_get(&starts, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->ts)
		return 0;
	now = bpf_ktime_get_ns();
	lat = now - s->ts;
	nr = s->nr;
	s->ts = 0;

	st = bpf_map_lookup_elem(&stats, &nr);
	if (!st)
		return 0;
	st->calls++;
	st->total_ns += lat;
	st->hist[hist_bucket(lat) % HIST_BUCKETS]++;
	record_max(st, lat);
	if (ret < 0 && ret >= -4095) {
		st->errors++;
		count_errno(nr, ret);
	}
	if (!slow_events || lat < slow_threshold_ns || in_set(blocking, nr))
		return 0;
	if (shed)
		count_drop(SC_DROP_SHED);
	else
		emit_slow(now, lat, nr, ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
