/* A bounded cache from cgroup id to the workload its cgroup2 path names (probes/workload.h). */
#ifndef HOSTMON_WORKLOAD_CACHE_H
#define HOSTMON_WORKLOAD_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include "core/compiler.h"
#include "probes/workload.h"

#define WORKLOAD_CACHE_CAPACITY	4096
/* A name older than this is resolved again (a renamed cgroup; a removed one is marked gone). */
#define WORKLOAD_CACHE_TTL_S	60
/* An id not found is not looked for again for this long (each search may be a walk). */
#define WORKLOAD_CACHE_NEG_TTL_S 5

struct workload_cache_stats {
	uint64_t hits;
	uint64_t misses;		/* lookups that had to resolve the id */
	uint64_t negative_hits;		/* lookups answered -ENOENT from a recent failed search */
	uint64_t evictions;		/* entries dropped for room (clock) */
	uint64_t gone;			/* entries found removed when resolved again */
	uint64_t handle_opens;		/* resolutions by open_by_handle_at */
	uint64_t walks;			/* resolutions by a walk of the cgroup2 tree */
	uint64_t walk_dirs;		/* directories those walks read */
	uint64_t walk_truncated;	/* walks stopped at WORKLOAD_WALK_MAX_DIRS (probes/workload_resolver.h) */
	uint64_t v1_fallbacks;		/* names taken from a member's v1 memory cgroup (hybrid hosts) */
	uint64_t pid_paths;		/* resolutions by a member's /proc/PID/cgroup (workload_cache__lookup_pid) */
	uint32_t entries;
	uint32_t capacity;
	bool handles;			/* open_by_handle_at still in use (it needs CAP_DAC_READ_SEARCH) */
};

/* Not thread-safe: the event loop's own, as the pid cache is. */
struct workload_cache;

/*
 * A cache of capacity entries (0: WORKLOAD_CACHE_CAPACITY) over the cgroup2
 * tree mounted at root, or, root NULL, the first cgroup2 mount in
 * /proc/self/mountinfo (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a
 * hybrid host). proc_root ("/proc"; NULL for it) serves the v1 fallback.
 * NULL with errno (ENOENT: no cgroup2 mount).
 */
HM_MUST_CHECK
struct workload_cache *workload_cache__new(const char *root, const char *proc_root, uint32_t capacity);
void workload_cache__free(struct workload_cache *c);

/*
 * The workload of cgroup id cgid (bpf_get_current_cgroup_id(), the inode
 * number of its cgroup2 directory), *out valid until the next call on the
 * cache. A miss resolves the id once: by open_by_handle_at on the mount and a
 * readlink of the descriptor when the agent may (CAP_DAC_READ_SEARCH), else
 * by one walk of the tree (at most WORKLOAD_WALK_MAX_DIRS directories,
 * probes/workload_resolver.h; readdir only); the first refused handle (EPERM
 * once privileges are dropped) turns handles off for good and that lookup walks. When the cgroup2 path names no container and a process in
 * the cgroup has a v1 memory cgroup that does (hybrid hosts, cgroupfs
 * drivers), that names it: two more small reads. 0; -ENOENT: no such cgroup
 * (remembered WORKLOAD_CACHE_NEG_TTL_S); -errno otherwise. A cached cgroup
 * since removed keeps its name, with gone set, until evicted or forgotten.
 */
HM_MUST_CHECK
int workload_cache__lookup(struct workload_cache *c, uint64_t cgid, const struct workload **out);
/*
 * workload_cache__lookup, where pid is a process seen in the cgroup (0:
 * none): a miss reads the path from /proc/PID/cgroup first (its "0::" line,
 * kept only if that directory's inode is cgid: the process may have moved or
 * gone), which costs one small read instead of a walk.
 */
HM_MUST_CHECK
int workload_cache__lookup_pid(struct workload_cache *c, uint64_t cgid, uint32_t pid,
			       const struct workload **out);
/* Drops cgid's entry (the kernel map forgot it); the next lookup resolves it afresh. */
void workload_cache__forget(struct workload_cache *c, uint64_t cgid);
/* Every entry is resolved again at its next lookup (e.g. after a runtime restart). */
void workload_cache__invalidate(struct workload_cache *c);
/* For tests: names older than ttl_s seconds are resolved again; handles false forces the walk. */
void workload_cache__set_ttl(struct workload_cache *c, uint32_t ttl_s);
void workload_cache__set_handles(struct workload_cache *c, bool on);
void workload_cache__stats(const struct workload_cache *c, struct workload_cache_stats *st);

#endif /* HOSTMON_WORKLOAD_CACHE_H */
