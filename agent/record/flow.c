/* Events in and out per kind and sink: names, and each window's share of the cumulative counts. */
#include "record/flow.h"

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
