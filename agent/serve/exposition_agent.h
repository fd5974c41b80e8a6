/* The agent's own families of the exposition: state, window, CPU, memory, log, caches, flow. */
#ifndef HOSTMON_EXPOSITION_AGENT_H
#define HOSTMON_EXPOSITION_AGENT_H

#include <json-c/json.h>
#include "serve/prom.h"

/*
 * Counters since start from totals, gauges from the latest window (NULL
 * before the first), its BPF memory from health (NULL: none), state its
 * health state.
 */
void exposition_agent_render(struct prom *p, struct json_object *totals, struct json_object *window,
			     struct json_object *health, const char *state);

#endif /* HOSTMON_EXPOSITION_AGENT_H */
