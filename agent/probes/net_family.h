/* Connection error family in userspace: conn_error events and connection RED per endpoint. */
#ifndef HOSTMON_NET_AGENT_H
#define HOSTMON_NET_AGENT_H

#include <json-c/json.h>
#include "config/config.h"
#include "probes/family.h"
#include "core/compiler.h"

struct record;
struct exemap;
struct net;
struct bpf_object;
struct pipeline;
struct pidcache;

/*
 * Like syscalls__open: NULL with status->error set when the probe cannot
 * run. Its socket hooks are attached; who names the owners of connected
 * and accepted sockets is settled by net__exits.
 */
HM_MUST_CHECK
struct net *net__open(const struct config *cfg, struct pipeline *out,
		      const struct exemap *exe, struct family_status *status);
struct bpf_object;
/* Whether the syscall family's object has a map of that name that is the net family's own. */
bool net__shares_map(const char *name);
/*
 * Between the syscall family object's open and load: its copies of the net
 * maps (bpf/net_sys.bpf.h) become nt's, so its sys_exit names the owners
 * of connected and accepted sockets; with a NULL nt they shrink to nothing.
 * 0, or -errno with err set.
 */
HM_MUST_CHECK
int net__share(const struct net *nt, struct bpf_object *obj, char *err, size_t errlen);
/*
 * Once the syscall family has loaded or not: NULL why says that it carries
 * connect() and accept() (net__share); otherwise why it cannot, and the
 * syscalls: tracepoints are attached instead (they need tracefs, and their
 * cost to every syscall is logged). Says which in status->path; -errno with
 * the family failed in status when the tracepoints cannot be attached.
 */
HM_MUST_CHECK
int net__exits(struct net *nt, const char *why, struct family_status *status);
void net__free(struct net *nt);
int net__epoll_fd(const struct net *nt);
int net__events_fd(const struct net *nt);
/* The loaded BPF object, for its maps' figures (agent/probes/bpfmem.h). */
const struct bpf_object *net__object(const struct net *nt);
/* conn_error events get exe, cgroup and container_id from procs (not owned). */
void net__set_pidcache(struct net *nt, struct pidcache *procs);
/* The map of connection failures by owner's cgroup (agent/probes/workloads.h). */
int net__cg_failures_fd(const struct net *nt);
/* Brownout: on, conn_error events are counted as shed instead of sent. */
void net__shed(struct net *nt, bool on);
HM_MUST_CHECK
int net__poll(struct net *nt);
/*
 * Fills the metrics record's connections (the window's top endpoints by
 * attempts, the rest summed as other, and exact totals) and its "net" drops.
 */
int net__window(struct net *nt, struct record *rec);

#endif /* HOSTMON_NET_AGENT_H */
