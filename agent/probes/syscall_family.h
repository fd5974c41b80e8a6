/* Syscall latency family in userspace: load the probe, read its windows, emit slow calls. */
#ifndef HOSTMON_SYSCALLS_AGENT_H
#define HOSTMON_SYSCALLS_AGENT_H

#include <json-c/json.h>
#include "config/config.h"
#include "probes/family.h"
#include "core/compiler.h"

struct record;
struct exemap;
struct kernel_features;
struct syscalls;
struct bpf_object;
struct net;
struct pipeline;
struct pidcache;

/*
 * Opens, configures, loads and attaches the probe, on the path kf allows
 * (status->path says which). NULL with status->error
 * set (the kernel's reason) when any step fails; the agent runs on without it.
 * Its exe_paths map is exe's (agent/probes/exemap.h; NULL: none shared). With
 * net (NULL: none), its sys_exit also names the owners of connected and
 * accepted sockets in net's maps (agent/probes/net_family.h net__share).
 */
HM_MUST_CHECK
struct syscalls *syscalls__open(const struct config *cfg, const struct kernel_features *kf,
				struct pipeline *out, const struct exemap *exe,
				const struct net *net, struct family_status *status);
void syscalls__free(struct syscalls *sc);
/* Ring buffer fd for epoll, and draining it into slow_syscall records. */
int syscalls__epoll_fd(const struct syscalls *sc);
/* The events ring buffer map, for ring_watch. */
int syscalls__events_fd(const struct syscalls *sc);
/* The per-workload maps (cg_stats, cg_errnos), for agent/probes/workloads.h; -1 each when [workloads] is off. */
void syscalls__workload_fds(const struct syscalls *sc, int *stats_fd, int *errnos_fd);
/* The loaded BPF object, for its maps' figures (agent/probes/bpfmem.h). */
const struct bpf_object *syscalls__object(const struct syscalls *sc);
/* slow_syscall events get exe, cgroup and container_id from procs (not owned). */
void syscalls__set_pidcache(struct syscalls *sc, struct pidcache *procs);
/* Brownout: on, slow_syscall events are counted as shed instead of sent. */
void syscalls__shed(struct syscalls *sc, bool on);
HM_MUST_CHECK
int syscalls__poll(struct syscalls *sc);
/*
 * Closes the window: fills the metrics record's syscalls (the window's own
 * counts, percentiles, coarse buckets and sum_ns estimated from the
 * histogram) and its "syscalls" drops.
 */
int syscalls__window(struct syscalls *sc, struct record *rec);

#endif /* HOSTMON_SYSCALLS_AGENT_H */
