/* Events in and out per kind and sink: names, and each window's share of the cumulative counts. */
#include "flow.h"
#include "record.h"

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

/* {kind: now - prev} for every kind, as entries of entry_desc's map. */
static void by_kind(struct record *rec, void *field, size_t *n,
		    const ProtobufCMessageDescriptor *entry_desc, const uint64_t *now,
		    const uint64_t *prev)
{
	for (int k = 0; k < FLOW_KIND_MAX; k++)
		record__count(rec, field, n, entry_desc, kind_names[k], now[k] - prev[k]);
}

void flow_window(const struct flow_counts *now, struct flow_counts *prev, unsigned int sinks,
		 struct record *rec, Hostmon__V1__AgentSelf *self)
{
	Hostmon__V1__EventCounts *out;

	if (self) {
		by_kind(rec, &self->events_in, &self->n_events_in,
			&hostmon__v1__agent_self__events_in_entry__descriptor, now->in, prev->in);
		for (int s = 0; s < FLOW_SINK_MAX; s++) {
			if (!(sinks & (1u << s)))
				continue;
			out = record__entry(rec, &self->events_out, &self->n_events_out,
					    &hostmon__v1__agent_self__events_out_entry__descriptor,
					    sink_names[s]);
			if (out)
				by_kind(rec, &out->by_kind, &out->n_by_kind,
					&hostmon__v1__event_counts__by_kind_entry__descriptor,
					now->out[s], prev->out[s]);
		}
	}
	*prev = *now;
}
