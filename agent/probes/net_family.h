/* Connection error family in userspace: conn_error events and connection RED per endpoint. */
#ifndef HOSTMON_NET_AGENT_H
#define HOSTMON_NET_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include "probes/family.h"
#include "core/compiler.h"

struct bpf_object;

/*
 * Its socket hooks attach at open; who names the owners of connected and
 * accepted sockets is settled once the syscall family (which needs it) has
 * opened or not: that family's sys_exit, else net's own syscalls:
 * tracepoints. conn_error events are shed after slow_syscall ones.
 */
extern const struct family_ops net_family;

/* Whether the syscall family's object has a map of that name that is the net family's own. */
bool net__shares_map(const char *name);
/*
 * Between the syscall family object's open and load: its copies of the net
 * maps (bpf/net_sys.bpf.h) become nt's (a net family instance), so its
 * sys_exit names the owners of connected and accepted sockets; with a NULL
 * nt they shrink to nothing. 0, or -errno with err set.
 */
struct net;
HM_MUST_CHECK
int net__share(const struct net *nt, struct bpf_object *obj, char *err, size_t errlen);

#endif /* HOSTMON_NET_AGENT_H */
