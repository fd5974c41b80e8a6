/* Per-workload series of the exposition: the top workloads' sums since start and latest latency. */
#ifndef HOSTMON_EXPOSITION_WORKLOADS_H
#define HOSTMON_EXPOSITION_WORKLOADS_H

#include <json-c/json.h>
#include "serve/prom.h"

/*
 * The window's top workloads, into totals.workloads keyed by cgroup id: their
 * counts, and their syscalls' calls and errors (a bounded number of workloads
 * and of syscalls each, the least recently active dropped first).
 */
void exposition_workloads_add(struct json_object *totals, struct json_object *window);

/* The workload families: counters from totals, latency percentiles from the latest window. */
void exposition_workloads_render(struct prom *p, struct json_object *totals,
				 struct json_object *window);

#endif /* HOSTMON_EXPOSITION_WORKLOADS_H */
