/* Process crash family in userspace: crash and OOM events, exit and crash counts. */
#ifndef HOSTMON_PROC_AGENT_H
#define HOSTMON_PROC_AGENT_H

#include <json-c/json.h>
#include "config/config.h"
#include "probes/family.h"
#include "core/compiler.h"

struct record;
struct exemap;
struct proc;
struct bpf_object;
struct pipeline;

/* Like syscalls__open: NULL with status->error set when the probe cannot run. */
HM_MUST_CHECK
struct proc *proc__open(const struct config *cfg, struct pipeline *out,
			const struct exemap *exe, struct family_status *status);
void proc__free(struct proc *pr);
int proc__epoll_fd(const struct proc *pr);
int proc__events_fd(const struct proc *pr);
/* The loaded BPF object, for its maps' figures (agent/probes/bpfmem.h). */
const struct bpf_object *proc__object(const struct proc *pr);
HM_MUST_CHECK
int proc__poll(struct proc *pr);
struct workloads;
/* Where crashes and OOM kills are counted per workload too (not owned; NULL: nowhere). */
void proc__set_workloads(struct proc *pr, struct workloads *wl);
/* Fills the window's crashes, oom_kills and exits_nonzero into the metrics record, and its "proc" drops. */
int proc__window(struct proc *pr, struct record *rec);

#endif /* HOSTMON_PROC_AGENT_H */
