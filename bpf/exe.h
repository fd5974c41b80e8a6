/* Paths walked in the kernel, and the exe map's value: shared by the BPF objects and hostmond. */
#ifndef HOSTMON_EXE_H
#define HOSTMON_EXE_H

/*
 * Path components of the executable and cgroup, written leaf first: at most
 * PROC_PATH_DEPTH names, each cut to PROC_NAME_LEN - 1 bytes, packed into
 * PROC_PATH_BYTES (a name starts at most PROC_PATH_BYTES - 1 bytes in, so the
 * buffer has PROC_NAME_LEN more for the last one).
 */
#define PROC_PATH_DEPTH		24
#define PROC_NAME_LEN		64
#define PROC_PATH_BYTES		512
#define PROC_PATH_LEN		(PROC_PATH_BYTES + PROC_NAME_LEN)
/* Default size of the exe map; hostmond sizes it from [agent] pid_cache_size. */
#define EXE_ENTRIES		4096

/*
 * A path as depth NUL-terminated names, leaf first, one after the other in
 * names (len bytes); hostmond joins them root first. depth == 0 means unknown.
 */
struct proc_path {
	__u32 depth;
	__u32 truncated;
	__u32 len;
	__u32 pad;
	char names[PROC_PATH_LEN];
};

/* exe_paths value, keyed by tgid: the program one process (start, exec generation) runs. */
struct exe_entry {
	__u64 start_ns;		/* bpf/task.bpf.h current_proc_id */
	__u64 exec_id;
	struct proc_path path;	/* depth 0: none (a kernel thread) */
};

#endif /* HOSTMON_EXE_H */
