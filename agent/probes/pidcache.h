/* Process metadata (comm, exe, cgroup, container id) by pid, start time and exec generation: a bounded LRU over /proc. */
#ifndef HOSTMON_PIDCACHE_H
#define HOSTMON_PIDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

/* A container id is 64 hex digits in every runtime's cgroup names. */
#define PIDCACHE_ID_LEN		64
/* An entry older than this is read again: a process moved to another cgroup without execve. */
#define PIDCACHE_TTL_S		60

/* One program of one process: a reused pid or an execve is another key (bpf/task.bpf.h). */
struct pidcache_key {
	uint32_t pid;		/* tgid */
	uint64_t start_ns;	/* boot-time ns of the process start */
	uint64_t exec_id;	/* the kernel's self_exec_id */
};

/*
 * Valid until the next call on the cache. NULL: unknown (or, for
 * container_id, none). exe and cgroup are valid UTF-8 (bad bytes from /proc
 * become U+FFFD, as in encode_utf8).
 */
struct pidcache_meta {
	const char *comm;		/* the process's own (its leader's) name */
	const char *exe;
	const char *cgroup;		/* cgroup2 (unified) path, as process_crash's "cgroup" */
	const char *container_id;
	bool gone;			/* exited (or its pid reused) before it was read; exe may be known */
};

struct pidcache_stats {
	uint64_t hits;
	uint64_t misses;	/* every read of /proc, gone ones included */
	uint64_t gone;		/* misses for processes already gone */
	uint64_t failed;	/* lookups that found no memory: their events went without metadata */
	uint64_t evictions;	/* least recently used entries dropped, shrinks included */
	uint64_t shrinks;	/* pidcache__shrink calls that dropped entries */
	uint32_t entries;
	uint32_t capacity;
};

struct pidcache;

/*
 * Where a miss finds the exe first (agent/probes/exemap.c: the kernel's map):
 * /proc/PID/exe needs the right to ptrace the process, which a
 * capability-less agent lacks for most. 0 with path set; -ESTALE: the
 * process has exec'd since, its exe then is unknown; other: ask /proc.
 */
typedef int (*pidcache_exe_fn)(void *ctx, const struct pidcache_key *key, char *path, size_t len);

/* capacity entries at most; proc_root is "/proc" (a directory of the same shape in tests). NULL with errno. */
HM_MUST_CHECK
struct pidcache *pidcache__new(uint32_t capacity, const char *proc_root);
void pidcache__free(struct pidcache *c);
void pidcache__set_exe_source(struct pidcache *c, pidcache_exe_fn fn, void *ctx);
/*
 * The metadata of key's process: from the cache, else read from
 * proc_root/PID (and cached, gone processes too). 0, or -ENOMEM (out
 * zeroed, nothing counted). A NULL cache or pid 0 gives all NULL.
 */
HM_MUST_CHECK
int pidcache__lookup(struct pidcache *c, const struct pidcache_key *key, struct pidcache_meta *out);
/*
 * pidcache__lookup for an event: out of memory, the event goes without
 * metadata (all NULL) and the failure is counted (pidcache_stats.failed).
 */
void pidcache__describe(struct pidcache *c, const struct pidcache_key *key,
			struct pidcache_meta *out);
/* Drops least recently used entries until at most keep are left; returns how many went. */
uint32_t pidcache__shrink(struct pidcache *c, uint32_t keep);
void pidcache__stats(const struct pidcache *c, struct pidcache_stats *st);

/*
 * The container id named by a cgroup path (docker-ID.scope, /docker/ID,
 * cri-containerd-ID.scope, crio-ID.scope, libpod-ID(.scope), ID under a
 * kubepods ancestor), the component nearest the leaf winning, into out
 * (PIDCACHE_ID_LEN + 1 bytes): workload_parse's id. 0, or -ENOENT when the
 * path names none or is refused (agent/probes/workload.h).
 */
int pidcache_container_id(const char *cgroup, char *out);

#endif /* HOSTMON_PIDCACHE_H */
