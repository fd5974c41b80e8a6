/* Syscall latency family in userspace: loads syscalls.bpf.c, reads its windows, emits slow calls. */
#ifndef HOSTMON_SYSCALLS_AGENT_H
#define HOSTMON_SYSCALLS_AGENT_H

#include "probes/family.h"

/*
 * Opens on the path the kernel allows (task storage, else a thread map;
 * status->path says which). It needs the net family: its sys_exit names the
 * owners of connected and accepted sockets in net's maps
 * (agent/probes/net_family.h net__share). Its per-cgroup maps are the rows
 * of the workload table; slow_syscall events are shed first in a brownout.
 */
extern const struct family_ops syscall_family;

#endif /* HOSTMON_SYSCALLS_AGENT_H */
