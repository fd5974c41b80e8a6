/* Each window's share of the cumulative flow counts, written into a metrics record's self. */
#include "record/flow_window.h"
#include "record/record.h"

/* {kind: now - prev} for every kind, as entries of entry_desc's map. */
static void by_kind(struct record *rec, void *field, size_t *n,
		    const ProtobufCMessageDescriptor *entry_desc, const uint64_t *now,
		    const uint64_t *prev)
{
	for (int k = 0; k < FLOW_KIND_MAX; k++)
		record__count(rec, field, n, entry_desc, flow_kind_name(k), now[k] - prev[k]);
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
					    flow_sink_name(s));
			if (out)
				by_kind(rec, &out->by_kind, &out->n_by_kind,
					&hostmon__v1__event_counts__by_kind_entry__descriptor,
					now->out[s], prev->out[s]);
		}
	}
	*prev = *now;
}
