/* Events in and out per kind and sink: names, and each window's share of the cumulative counts. */
#include <errno.h>
#include <string.h>
#include "flow.h"

static const char *const kind_names[FLOW_KIND_MAX] = {
	[FLOW_SLOW_SYSCALL] = "slow_syscall",
	[FLOW_CONN_ERROR] = "conn_error",
	[FLOW_PROCESS_CRASH] = "process_crash",
	[FLOW_OOM_KILL] = "oom_kill",
	[FLOW_METRICS] = "metrics",
	[FLOW_AGENT_STATUS] = "agent_status",
};

static const char *const sink_names[FLOW_SINK_MAX] = {
	[FLOW_JSONL] = "jsonl",
	[FLOW_KAFKA] = "kafka",
	[FLOW_SOCKET] = "socket",
};

const char *flow_kind_name(enum flow_kind kind)
{
	return kind < FLOW_KIND_MAX ? kind_names[kind] : "unknown";
}

const char *flow_sink_name(enum flow_sink sink)
{
	return sink < FLOW_SINK_MAX ? sink_names[sink] : "unknown";
}

int flow_kind_of(const char *type)
{
	for (int k = 0; type && k < FLOW_KIND_MAX; k++)
		if (!strcmp(type, kind_names[k]))
			return k;
	return -EINVAL;
}

/* {kind: now - prev} for every kind. */
static struct json_object *by_kind(const uint64_t *now, const uint64_t *prev)
{
	struct json_object *o = json_object_new_object();

	for (int k = 0; o && k < FLOW_KIND_MAX; k++)
		json_object_object_add(o, kind_names[k], json_object_new_uint64(now[k] - prev[k]));
	return o;
}

void flow_window(const struct flow_counts *now, struct flow_counts *prev, unsigned int sinks,
		 struct json_object *self)
{
	struct json_object *out = json_object_new_object();

	json_object_object_add(self, "events_in", by_kind(now->in, prev->in));
	for (int s = 0; out && s < FLOW_SINK_MAX; s++)
		if (sinks & (1u << s))
			json_object_object_add(out, sink_names[s], by_kind(now->out[s], prev->out[s]));
	json_object_object_add(self, "events_out", out);
	*prev = *now;
}
