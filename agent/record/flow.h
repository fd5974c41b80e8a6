/* The agent's own event flow: records in by kind, out by sink and kind, counted where they happen. */
#ifndef HOSTMON_FLOW_H
#define HOSTMON_FLOW_H

#include <stdint.h>

/* Record kinds: the kernel's (read from its ring buffers), then the agent's own. */
enum flow_kind {
	FLOW_SLOW_SYSCALL,
	FLOW_CONN_ERROR,
	FLOW_PROCESS_CRASH,
	FLOW_OOM_KILL,
	FLOW_METRICS,
	FLOW_AGENT_STATUS,
	FLOW_KIND_MAX,
};

/* Where records go out: JSON lines flushed, the broker's acknowledgements, the socket's /events buffer. */
enum flow_sink {
	FLOW_JSONL,
	FLOW_KAFKA,
	FLOW_SOCKET,
	FLOW_SINK_MAX,
};

/* Cumulative counts since start. */
struct flow_counts {
	uint64_t in[FLOW_KIND_MAX];
	uint64_t out[FLOW_SINK_MAX][FLOW_KIND_MAX];
};

const char *flow_kind_name(enum flow_kind kind);
const char *flow_sink_name(enum flow_sink sink);

#endif /* HOSTMON_FLOW_H */
