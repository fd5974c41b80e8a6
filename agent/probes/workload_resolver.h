/* A cgroup id's path on the cgroup2 mount (by a member's /proc entry, by file handle, by a walk) and the workload it names. */
#ifndef HOSTMON_WORKLOAD_RESOLVER_H
#define HOSTMON_WORKLOAD_RESOLVER_H

#include <stdbool.h>
#include <stdint.h>
#include "core/compiler.h"
#include "probes/workload.h"

/* A walk visits at most this many directories, this deep. */
#define WORKLOAD_WALK_MAX_DIRS	16384
#define WORKLOAD_WALK_MAX_DEPTH	32

/* What resolving cost, for workload_cache_stats (the fields of the same names). */
struct workload_resolver_stats {
	uint64_t handle_opens;		/* resolutions by open_by_handle_at */
	uint64_t walks;			/* resolutions by a walk of the cgroup2 tree */
	uint64_t walk_dirs;		/* directories those walks read */
	uint64_t walk_truncated;	/* walks stopped at WORKLOAD_WALK_MAX_DIRS */
	uint64_t v1_fallbacks;		/* names taken from a member's v1 memory cgroup (hybrid hosts) */
	uint64_t pid_paths;		/* resolutions by a member's /proc/PID/cgroup */
	bool handles;			/* open_by_handle_at still in use (it needs CAP_DAC_READ_SEARCH) */
};

/* Not thread-safe; the cache's own. */
struct workload_resolver;

/*
 * A resolver over the cgroup2 tree mounted at root, or, root NULL, the first
 * cgroup2 mount in proc_root's self/mountinfo; proc_root ("/proc"; NULL for
 * it) also serves /proc/PID/cgroup. NULL with errno (ENOENT: no cgroup2 mount).
 */
HM_MUST_CHECK
struct workload_resolver *workload_resolver__new(const char *root, const char *proc_root);
void workload_resolver__free(struct workload_resolver *r);

/*
 * The workload of cgroup id cgid into w (zeroed first), as workload_cache__lookup
 * describes: by pid's /proc/PID/cgroup when pid (0: none) is still in it, else by
 * handle while handles work, else by a walk; a member's v1 memory cgroup names it
 * when the cgroup2 path names no container. 0, -ENOENT (no such cgroup), -errno.
 */
HM_MUST_CHECK
int workload_resolver__resolve(struct workload_resolver *r, uint64_t cgid, uint32_t pid, struct workload *w);
/* The cgroup2 path the last successful resolve named, valid until the next one. */
const char *workload_resolver__path(const struct workload_resolver *r);
/* false forces the walk (tests; and for good once a handle is refused). */
void workload_resolver__set_handles(struct workload_resolver *r, bool on);
void workload_resolver__stats(const struct workload_resolver *r, struct workload_resolver_stats *st);

#endif /* HOSTMON_WORKLOAD_RESOLVER_H */
