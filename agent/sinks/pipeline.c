/* Record stamping and fan-out to the sinks; the one place seq numbers are assigned. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"
#include "record/evring.h"
#include "record/flow.h"
#include "sinks/jsonl_sink.h"
#include "sinks/kafka_sink.h"
#include "core/log.h"
#include "record/pbjson.h"
#include "sinks/pipeline.h"

struct pipeline {
	struct hostinfo hi;
	struct jsonl_sink *jsonl;
	struct kafka_sink *kafka;
	struct evring *events;
	uint64_t next_seq;
	uint64_t emitted;
	uint64_t failures;
	uint64_t sink_failures;	/* JSON-lines writes and flushes that failed */
	struct flow_counts flow;	/* Kafka's acknowledgements are the sink's own */
	uint64_t jsonl_pending[FLOW_KIND_MAX];	/* lines buffered, not flushed yet */
	struct record rec;		/* the one record being built, reused */
	uint64_t wall_minus_mono;	/* the clocks' offset, read once per batch */
	bool in_batch;
	struct pbjson_buf line;		/* its JSON line, reused */
};

struct pipeline *pipeline__new(const struct hostinfo *hi)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->hi = *hi;
	p->next_seq = 1;
	return p;
}

void pipeline__free(struct pipeline *p)
{
	if (!p)
		return;
	record__fini(&p->rec);
	pbjson_buf_free(&p->line);
	free(p);
}

void pipeline__set_jsonl(struct pipeline *p, struct jsonl_sink *sink)
{
	p->jsonl = sink;
}

/* The pipeline's record, reset as kind with the next seq, stamped ts_ns (wall clock), counted in. */
static struct record *new_record(struct pipeline *p, enum flow_kind kind, uint64_t ts_ns)
{
	struct record *rec = &p->rec;

	p->flow.in[kind]++;
	record__reset(rec, kind);
	rec->seq = p->next_seq++;
	rec->ts_ns = ts_ns;
	rec->env.seq = rec->seq;
	rec->env.ts_ns = rec->ts_ns;
	rec->env.host_id = p->hi.host_id;
	rec->env.boot_id = p->hi.boot_id;
	return rec;
}

struct record *pipeline__record(struct pipeline *p, enum flow_kind kind)
{
	return new_record(p, kind, clock_ns(CLOCK_REALTIME));
}

struct record *pipeline__event(struct pipeline *p, enum flow_kind kind, uint64_t kernel_ns)
{
	return new_record(p, kind, p->in_batch ? kernel_ns + p->wall_minus_mono :
						 clock_mono_to_wall(kernel_ns));
}

void pipeline__begin(struct pipeline *p)
{
	p->wall_minus_mono = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	p->in_batch = true;
}

/* Every failure logged: the logger holds back the repeats with their count. */
static void sink_failed(struct pipeline *p, const char *what, int err)
{
	p->failures++;
	p->sink_failures++;
	log_error("jsonl", HM_E_JSONL_WRITE,
		  LOG_FIELDS(LF_STR("path", jsonl_sink__path(p->jsonl)), LF_ERRNO(-err),
			     LF_INT("lost", jsonl_sink__lost(p->jsonl)),
			     LF_INT("failures", p->sink_failures)),
		  "%s %s failed: %s: lines lost", what, jsonl_sink__path(p->jsonl), strerror(-err));
}

void pipeline__set_kafka(struct pipeline *p, struct kafka_sink *sink)
{
	p->kafka = sink;
}

void pipeline__set_events(struct pipeline *p, struct evring *ring)
{
	p->events = ring;
}

/* Every record but the metrics windows (the socket serves the latest one itself). */
static void keep_event(struct pipeline *p, const struct record *rec, const char *line, size_t len)
{
	if (rec->kind == FLOW_METRICS)
		return;
	if (evring__push(p->events, rec->seq, line, len))
		p->failures++;
	else
		p->flow.out[FLOW_SOCKET][rec->kind]++;
}

/*
 * Lines count out once the sink has none buffered: flushed, or, when that
 * failed, every buffered one lost (counted by the sink) and none counts out.
 */
static void jsonl_settle(struct pipeline *p, int err)
{
	if (jsonl_sink__pending(p->jsonl))
		return;
	for (int k = 0; !err && k < FLOW_KIND_MAX; k++)
		p->flow.out[FLOW_JSONL][k] += p->jsonl_pending[k];
	memset(p->jsonl_pending, 0, sizeof(p->jsonl_pending));
}

static void jsonl_flush(struct pipeline *p)
{
	int err = jsonl_sink__flush(p->jsonl);

	if (err)
		sink_failed(p, "flush of", err);
	jsonl_settle(p, err);
}

/*
 * What the JSON lines show is in the spool first: the Kafka sink's staged
 * records are written before the lines that name them, so a kill -9 never
 * leaves a line whose record the spool lost.
 */
static void commit(struct pipeline *p)
{
	kafka_sink__commit(p->kafka);
	if (p->jsonl)
		jsonl_flush(p);
}

static void jsonl_write(struct pipeline *p, const struct record *rec, const char *line, size_t len)
{
	int err;

	/* Before stdio would write part of the batch itself. */
	if (jsonl_sink__buffered(p->jsonl) + len + 1 > JSONL_SINK_BUFFER)
		commit(p);
	err = jsonl_sink__write(p->jsonl, line, len);
	if (err)
		sink_failed(p, "write to", err);
	else
		p->jsonl_pending[rec->kind]++;
	jsonl_settle(p, err);
}

/* The record's line (NULL without memory) to the JSON-lines sink and the socket, its envelope to Kafka. */
static void deliver(struct pipeline *p, struct record *rec, const char *line, size_t len)
{
	if (p->jsonl)
		jsonl_write(p, rec, line, len);
	if (p->kafka)
		kafka_sink__write(p->kafka, rec);
	if (p->events && line)
		keep_event(p, rec, line, len);
	p->emitted++;
}

void pipeline__send(struct pipeline *p, struct record *rec)
{
	const char *line = NULL;

	if (rec->arena.failed) {
		p->failures++;
		return;
	}
	if (p->jsonl || p->events) {
		pbjson_buf_reset(&p->line);
		if (!pbjson_write(&p->line, &rec->env.base, PBJSON_LINES))
			line = p->line.data;
		else
			p->failures++;
	}
	deliver(p, rec, line, p->line.len);
}

void pipeline__flush(struct pipeline *p)
{
	p->in_batch = false;
	/* The pass's records go to the spool in one batch, then its lines, then to the broker. */
	commit(p);
	kafka_sink__poll(p->kafka);
}

uint64_t pipeline__emitted(const struct pipeline *p)
{
	return p->emitted;
}

unsigned int pipeline__flow(const struct pipeline *p, struct flow_counts *c)
{
	unsigned int sinks = 0;

	*c = p->flow;
	if (p->jsonl)
		sinks |= 1u << FLOW_JSONL;
	if (p->events)
		sinks |= 1u << FLOW_SOCKET;
	if (p->kafka) {
		sinks |= 1u << FLOW_KAFKA;
		for (int k = 0; k < FLOW_KIND_MAX; k++)
			c->out[FLOW_KAFKA][k] = kafka_sink__acked(p->kafka, k);
	}
	return sinks;
}

uint64_t pipeline__lost(const struct pipeline *p)
{
	return p->jsonl ? jsonl_sink__lost(p->jsonl) : 0;
}
