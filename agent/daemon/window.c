/* The metrics window: every part of the record in the order it is filled, then out to the sinks and the socket. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"
#include "daemon/governor.h"
#include "daemon/lifecycle.h"
#include "daemon/state.h"
#include "daemon/status.h"
#include "daemon/window.h"
#include "probes/family_set.h"
#include "record/flow_window.h"
#include "record/pbjson.h"
#include "serve/snapshot.h"
#include "sinks/kafka_sink.h"
#include "sinks/pipeline.h"

void window_start(struct daemon *d)
{
	d->window_start_mono = clock_ns(CLOCK_MONOTONIC);
	d->window_start_wall = clock_ns(CLOCK_REALTIME);
}

/*
 * The spool's drops since the last window into the window's agent counters
 * (evicted unsent, corrupt records skipped); an eviction is also announced in
 * an agent_status record, emitted before the window so seqs stay in order.
 */
static void spool_window(struct daemon *d, struct spool_stats *delta)
{
	struct spool_stats st;
	char reason[128];

	memset(delta, 0, sizeof(*delta));
	if (!d->spool)
		return;
	spool__stats(d->spool, &st);
	delta->evicted = st.evicted - d->spool_prev.evicted;
	delta->corrupt = st.corrupt - d->spool_prev.corrupt;
	d->spool_prev = st;
	if (!delta->evicted)
		return;
	snprintf(reason, sizeof(reason), "spool full: %llu records evicted unsent (%llu in all)",
		 (unsigned long long)delta->evicted, (unsigned long long)st.evicted);
	status_emit(d, AGENT_STATE_MAX, reason);
}

/*
 * The window's events in and out, in the self governor__window made.
 * Flushed first: every record before this one counts out in its window.
 */
static void flow_self(struct daemon *d, struct record *rec, Hostmon__V1__AgentSelf *self)
{
	struct flow_counts now;
	unsigned int sinks;

	pipeline__flush(d->out);
	sinks = pipeline__flow(d->out, &now);
	flow_window(&now, &d->flow_prev, sinks, rec, self);
}

/* The agent's own drop counters: lines and records the sinks lost, the spool's evictions. */
static void agent_drops(struct daemon *d, struct record *rec, const struct spool_stats *spool_delta)
{
	Hostmon__V1__DropCounters *dc = record__drops(rec, "agent");
	uint64_t lost = pipeline__lost(d->out);

	record__drop(rec, dc, "jsonl_lost", lost - d->lost_prev);
	d->lost_prev = lost;
	if (d->kafka) {
		lost = kafka_sink__lost(d->kafka);
		record__drop(rec, dc, "kafka_lost", lost - d->kafka_lost_prev);
		d->kafka_lost_prev = lost;
	}
	if (d->spool) {
		record__drop(rec, dc, "spool_evicted", spool_delta->evicted);
		record__drop(rec, dc, "spool_corrupt", spool_delta->corrupt);
	}
}

/* The socket serves the window as JSON lines show it (read once per window, off the record path). */
static void serve_window(struct daemon *d, struct record *rec)
{
	struct json_object *window = pbjson_object(&rec->env.base, PBJSON_LINES);

	if (window)
		snapshot_builder__window(d->snap, window);
	json_object_put(window);
}

void window_emit(struct daemon *d)
{
	struct spool_stats spool_delta;
	Hostmon__V1__MetricsWindow *m;
	struct record *rec;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	spool_window(d, &spool_delta);
	rec = pipeline__record(d->out, FLOW_METRICS);
	m = &rec->ev.metrics;
	m->window_start_ns = d->window_start_wall;
	m->window_ns = now - d->window_start_mono;
	m->state = status_proto_state(lifecycle__state(d->life));
	family_set__window(d->fams, rec);
	flow_self(d, rec, governor__window(d->gov, rec));
	agent_drops(d, rec, &spool_delta);
	if (d->kafka && (m->kafka = record__msg(rec, &hostmon__v1__kafka_sink__descriptor))) {
		kafka_sink__fill(d->kafka, m->kafka);
		kafka_sink__window(d->kafka, rec, m->kafka);
	}
	d->window_start_mono = now;
	d->window_start_wall = clock_ns(CLOCK_REALTIME);
	serve_window(d, rec);
	pipeline__send(d->out, rec);
	pipeline__flush(d->out);
}
