/* The exposition's running sums since start, host-wide and the agent's own, from each window. */
#ifndef HOSTMON_EXPOSITION_TOTALS_H
#define HOSTMON_EXPOSITION_TOTALS_H

#include <json-c/json.h>

/*
 * Adds a metrics record's host-wide additive fields into totals: per syscall
 * (keyed by name) calls, errors, sum_ns, errnos and buckets; connections;
 * crashes (and by exe), oom_kills and drops; listed endpoints.
 */
void exposition_totals_add(struct json_object *totals, struct json_object *window);

/* Adds the counters of the record's "self" object (the agent's own) into totals. */
void exposition_totals_add_self(struct json_object *totals, struct json_object *window);

#endif /* HOSTMON_EXPOSITION_TOTALS_H */
