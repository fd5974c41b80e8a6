/* agent_status records and the running/degraded decision. */
#include <stdio.h>
#include <string.h>
#include "daemon/health.h"
#include "daemon/governor.h"
#include "daemon/state.h"
#include "daemon/status.h"
#include "probes/family_set.h"
#include "sinks/kafka_sink.h"
#include "sinks/pipeline.h"

Hostmon__V1__AgentState status_proto_state(enum agent_state s)
{
	return s < AGENT_STATE_MAX ? (Hostmon__V1__AgentState)(s + 1) :
				     HOSTMON__V1__AGENT_STATE__AGENT_STATE_UNSPECIFIED;
}

static void add_probe(struct record *rec, const char *family, const struct family_status *st)
{
	Hostmon__V1__AgentStatus *m = &rec->ev.agent_status;
	Hostmon__V1__ProbeStatus *ps;

	ps = record__entry(rec, &m->probes, &m->n_probes,
			   &hostmon__v1__agent_status__probes_entry__descriptor, family);
	if (!ps)
		return;
	ps->state = (char *)family_state_name(st->state);
	if (st->state == FAMILY_FAILED)
		ps->error = (char *)st->error;
}

void status_add_probes(struct record *rec, const struct family_set *set)
{
	for (size_t i = 0; i < family_set__count(set); i++)
		add_probe(rec, family_set__name(set, i), family_set__status(set, i));
}

void status_emit(struct daemon *d, enum agent_state from, const char *reason)
{
	struct record *rec;

	if (!d->out)
		return;
	rec = pipeline__record(d->out, FLOW_AGENT_STATUS);
	rec->ev.agent_status.state = status_proto_state(lifecycle__state(d->life));
	rec->ev.agent_status.previous_state = status_proto_state(from);
	rec->ev.agent_status.reason = (char *)reason;
	status_add_probes(rec, d->fams);
	pipeline__send(d->out, rec);
	pipeline__flush(d->out);
}

void status_on_change(void *ctx, enum agent_state from, enum agent_state to, const char *cause)
{
	struct daemon *d = ctx;

	(void)to;
	status_emit(d, from, cause);
	health_publish(d);
}

bool status_family_failed(const struct family_set *set, char *cause, size_t len)
{
	const struct family_status *st;

	for (size_t i = 0; i < family_set__count(set); i++) {
		st = family_set__status(set, i);
		if (st->state != FAMILY_FAILED)
			continue;
		snprintf(cause, len, "probe family %s failed: %s", family_set__name(set, i), st->error);
		return true;
	}
	return false;
}

/* Records not reaching Kafka (broker unreachable, records failing) degrade the agent as a failed probe does. */
static bool kafka_broken(const struct daemon *d)
{
	const char *state = d->kafka ? kafka_sink__state(d->kafka) : "connected";

	return !strcmp(state, "error") || !strcmp(state, "unreachable");
}

void status_memory_cause(const struct daemon *d, char *cause, size_t len, const char *tail)
{
	snprintf(cause, len, "memory: rss %.1f MiB over max_rss_mb %u%s",
		 governor__rss_kb(d->gov) / 1024.0, d->cfg.max_rss_mb, tail);
}

void status_memory_stuck_cause(const struct daemon *d, char *cause, size_t len)
{
	char tail[64];

	snprintf(tail, sizeof(tail), " for %u s with every detail event shed",
		 (unsigned int)GOVERNOR_RSS_STUCK_S);
	status_memory_cause(d, cause, len, tail);
}

void status_settle(struct daemon *d)
{
	char cause[320];

	if (status_family_failed(d->fams, cause, sizeof(cause))) {
		lifecycle__to(d->life, AGENT_DEGRADED, cause);
	} else if (kafka_broken(d)) {
		snprintf(cause, sizeof(cause), "kafka %s: %s", kafka_sink__state(d->kafka),
			 kafka_sink__last_error(d->kafka));
		lifecycle__to(d->life, AGENT_DEGRADED, cause);
	} else if (d->rss_stuck) {
		status_memory_stuck_cause(d, cause, sizeof(cause));
		lifecycle__to(d->life, AGENT_DEGRADED, cause);
	} else {
		lifecycle__to(d->life, AGENT_RUNNING, "probes attached");
	}
}
