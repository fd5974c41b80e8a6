/* RED per workload (cgroup): the kernel's per-cgroup maps turned into each window's "workloads" section. */
#ifndef HOSTMON_WORKLOADS_H
#define HOSTMON_WORKLOADS_H

#include <stdbool.h>
#include <stdint.h>
#include "core/compiler.h"

struct record;
struct workload_cache;

struct workloads;

/*
 * Ranks at most top workloads in full each window; a kernel entry idle for
 * idle_windows windows is deleted (counted in Workloads.evicted). names
 * (not owned; NULL: workloads go by cgroup id alone) names them.
 */
HM_MUST_CHECK
struct workloads *workloads__new(uint32_t top, uint32_t idle_windows, struct workload_cache *names);
void workloads__free(struct workloads *w);

/* The syscall family's maps: cg_stats (struct sc_cg_key -> sc_cg_stats) and cg_errnos. */
void workloads__set_syscalls(struct workloads *w, int stats_fd, int errnos_fd);
/* The net family's net_cg_failures (cgroup id -> failures). */
void workloads__set_net(struct workloads *w, int failures_fd);
/* A crash (or OOM kill) event of a process in cgroup cgid, counted in this window. */
void workloads__crash(struct workloads *w, uint64_t cgid, bool oom);

/* Fills rec's metrics.workloads with the window since the last call. Returns 0 or -errno. */
int workloads__window(struct workloads *w, struct record *rec);
/* Map reads that failed since start. */
uint64_t workloads__read_errors(const struct workloads *w);

#endif /* HOSTMON_WORKLOADS_H */
