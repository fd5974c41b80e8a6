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
