/* The exe path of each process, noted in the kernel so that hostmond needs no ptrace right to know it. */
#ifndef HOSTMON_EXE_BPF_H
#define HOSTMON_EXE_BPF_H

/* Include after vmlinux.h, bpf_helpers.h, bpf_core_read.h, exe.h, family.bpf.h and task.bpf.h. */
#include "path.bpf.h"

/*
 * tgid -> the program of one process. hostmond creates it ([agent]
 * pid_cache_size entries) and every object reuses its fd before load, so
 * one map serves all families and the pid cache; LRU: no delete at exit.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EXE_ENTRIES);
	__type(key, __u32);
	__type(value, struct exe_entry);
} exe_paths SEC(".maps");

/* The value is over the 512-byte stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exe_entry);
} exe_scratch SEC(".maps");

/*
 * Notes the current process's exe unless exe_paths has it for this (start,
 * exec generation): a lookup per call, the path walk once per program of a
 * process. A failed update is counted as drop.
 */
static __always_inline void exe_note_current(__u32 tgid, __u64 start_ns, __u64 exec_id,
					     __u32 drop)
{
	struct exe_entry *e;
	__u32 zero = 0;

	e = bpf_map_lookup_elem(&exe_paths, &tgid);
	if (e && e->start_ns == start_ns && e->exec_id == exec_id)
		return;
	e = bpf_map_lookup_elem(&exe_scratch, &zero);
	if (!e)
		return;
	e->start_ns = start_ns;
	e->exec_id = exec_id;
	read_file_path(&e->path, BPF_CORE_READ(current_task(), mm, exe_file));
	if (bpf_map_update_elem(&exe_paths, &tgid, e, BPF_ANY))
		count_drop(drop);
}

#endif /* HOSTMON_EXE_BPF_H */
