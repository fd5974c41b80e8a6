/* What every probe family's BPF object has: its drop counters and its events ring buffer. */
#ifndef HOSTMON_FAMILY_BPF_H
#define HOSTMON_FAMILY_BPF_H

/* Include after vmlinux.h and bpf_helpers.h; FAMILY_DROP_MAX sizes the drops map. */
#ifndef FAMILY_DROP_MAX
#error "define FAMILY_DROP_MAX (the family's enum ..._DROP_MAX) before including family.bpf.h"
#endif

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FAMILY_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Sized by hostmond ([agent] ringbuf_size) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/*
 * Set by hostmond before load ([agent] ring_flush_ms): a detail event wakes
 * the reader only once this many bytes wait, the reader draining on a timer
 * anyway, so a trickle of events costs one wakeup per timer tick rather than
 * one per event. 0: the kernel's default, a wakeup whenever the reader has
 * caught up. process_crash and oom_kill events keep that default: their ring
 * holds nothing else, so each finds the reader caught up and wakes it.
 */
const volatile __u64 wakeup_bytes = 0;

/*
 * Submit flags for a detail event, pending bytes counted with len more (the
 * event's own when it is not reserved yet).
 */
static __always_inline __u64 detail_wakeup(__u64 len)
{
	if (!wakeup_bytes)
		return 0;
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + len >= wakeup_bytes ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* Adds 1 to element index of a per-CPU u64 array. */
static __always_inline void bump(void *map, __u32 index)
{
	__u64 *n = bpf_map_lookup_elem(map, &index);

	if (n)
		*n += 1;
}

static __always_inline void count_drop(__u32 reason)
{
	bump(&drops, reason);
}

#endif /* HOSTMON_FAMILY_BPF_H */
