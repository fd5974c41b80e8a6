/* hostmon's metrics in Prometheus text: counters since start, the latest window's quantiles. */
#ifndef HOSTMON_EXPOSITION_H
#define HOSTMON_EXPOSITION_H

#include <stddef.h>
#include <json-c/json.h>
#include "core/compiler.h"

/*
 * Adds the additive fields of a metrics record (window) into totals, the
 * running sums since start: per syscall (keyed by name) calls, errors,
 * sum_ns, errnos and buckets; crashes, oom_kills, conn_errors and drops.
 * Percentiles, maxima and per-command exit counts are not summed.
 */
void exposition_accumulate(struct json_object *totals, struct json_object *window);

/*
 * The exposition text (NUL-terminated, caller frees) of totals and the latest
 * window (NULL before the first), health being the /health details the
 * agent gave (its BPF memory; NULL: none) and state its health state.
 * NULL with errno set on allocation failure.
 */
HM_MUST_CHECK
char *exposition_render(struct json_object *totals, struct json_object *window,
			struct json_object *health, const char *state, size_t *len);

#endif /* HOSTMON_EXPOSITION_H */
