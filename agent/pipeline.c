/* Record stamping and fan-out to the sinks; the one place seq numbers are assigned. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "encode.h"
#include "evring.h"
#include "flow.h"
#include "jsonl_sink.h"
#include "kafka_sink.h"
#include "log.h"
#include "pipeline.h"

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
	free(p);
}

void pipeline__set_jsonl(struct pipeline *p, struct jsonl_sink *sink)
{
	p->jsonl = sink;
}

void record_u64(struct json_object *rec, const char *key, uint64_t v)
{
	json_object_object_add(rec, key, json_object_new_uint64(v));
}

void record_i64(struct json_object *rec, const char *key, int64_t v)
{
	json_object_object_add(rec, key, json_object_new_int64(v));
}

void record_str(struct json_object *rec, const char *key, const char *v)
{
	json_object_object_add(rec, key, json_object_new_string(v));
}

static struct json_object *new_record(struct pipeline *p, enum flow_kind kind, uint64_t ts_ns)
{
	struct json_object *rec;

	p->flow.in[kind]++;
	rec = json_object_new_object();
	if (!rec) {
		p->failures++;
		return NULL;
	}
	record_str(rec, "type", flow_kind_name(kind));
	record_u64(rec, "seq", p->next_seq++);
	record_u64(rec, "ts_ns", ts_ns);
	record_str(rec, "host_id", p->hi.host_id);
	record_str(rec, "boot_id", p->hi.boot_id);
	return rec;
}

struct json_object *pipeline__record(struct pipeline *p, enum flow_kind kind)
{
	return new_record(p, kind, clock_ns(CLOCK_REALTIME));
}

struct json_object *pipeline__event(struct pipeline *p, enum flow_kind kind, uint64_t kernel_ns)
{
	return new_record(p, kind, clock_mono_to_wall(kernel_ns));
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

/* The record's kind, -EINVAL when its type is none (not counted). */
static int record_kind(struct json_object *rec)
{
	struct json_object *type;

	if (!json_object_object_get_ex(rec, "type", &type))
		return -EINVAL;
	return flow_kind_of(json_object_get_string(type));
}

/* Every record but the metrics windows (the socket serves the latest one itself). */
static void keep_event(struct pipeline *p, struct json_object *rec, int kind)
{
	struct json_object *seq;

	if (kind == FLOW_METRICS || !json_object_object_get_ex(rec, "seq", &seq))
		return;
	if (evring__push(p->events, json_object_get_uint64(seq), encode_line(rec)))
		p->failures++;
	else if (kind >= 0)
		p->flow.out[FLOW_SOCKET][kind]++;
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

static void jsonl_write(struct pipeline *p, struct json_object *rec, int kind)
{
	int err = jsonl_sink__write(p->jsonl, rec);

	if (err)
		sink_failed(p, "write to", err);
	else if (kind >= 0)
		p->jsonl_pending[kind]++;
	jsonl_settle(p, err);
}

void pipeline__emit(struct pipeline *p, struct json_object *rec)
{
	int kind;

	if (!rec)
		return;
	kind = record_kind(rec);
	if (p->jsonl)
		jsonl_write(p, rec, kind);
	if (p->kafka)
		kafka_sink__write(p->kafka, rec);
	if (p->events)
		keep_event(p, rec, kind);
	p->emitted++;
	json_object_put(rec);
}

void pipeline__flush(struct pipeline *p)
{
	int err;

	if (p->jsonl) {
		err = jsonl_sink__flush(p->jsonl);
		if (err)
			sink_failed(p, "flush of", err);
		jsonl_settle(p, err);
	}
	/* The pass's records go to the spool in one batch, then to the broker. */
	kafka_sink__commit(p->kafka);
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
