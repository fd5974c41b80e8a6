/* The syscall families of the exposition: calls, errors by errno, latency summary and histogram. */
#ifndef HOSTMON_EXPOSITION_SYSCALLS_H
#define HOSTMON_EXPOSITION_SYSCALLS_H

#include <json-c/json.h>
#include "serve/prom.h"

/*
 * Counters and the histogram from totals' syscalls (since start), the
 * summary's quantiles from the latest window's rows (window NULL: none).
 */
void exposition_syscalls_render(struct prom *p, struct json_object *totals,
				struct json_object *window);

#endif /* HOSTMON_EXPOSITION_SYSCALLS_H */
