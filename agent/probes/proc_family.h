/* Process crash family in userspace: crash and OOM events, exit and crash counts. */
#ifndef HOSTMON_PROC_AGENT_H
#define HOSTMON_PROC_AGENT_H

#include "probes/family.h"

/* Its events carry their exe and cgroup from the kernel; they are never shed. */
extern const struct family_ops proc_family;

#endif /* HOSTMON_PROC_AGENT_H */
