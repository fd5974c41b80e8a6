/* The Kafka sink's figures: its state, counters and gauges for the metrics records and
 * /health, the age of the spool's oldest record, the window's delivery latency. */
#include <time.h>
#include <json-c/json.h>
#include "core/clock.h"
#include "record/pbjson.h"
#include "record/record.h"
#include "sinks/kafka_handoff.h"
#include "sinks/kafka_latency.h"
#include "sinks/kafka_sink.h"
#include "sinks/kafka_sink_impl.h"

uint64_t kafka_sink__delivered(const struct kafka_sink *ks)
{
	return ks ? ks->delivered : 0;
}

uint64_t kafka_sink__lost(const struct kafka_sink *ks)
{
	return ks ? ks->lost : 0;
}

const char *kafka_sink__state(const struct kafka_sink *ks)
{
	if (ks->fatal || !ks->rk || ks->failing)
		return "error";
	if (!ks->have_stats)
		return "connecting";
	return ks->stats.connected_brokers ? "connected" : "unreachable";
}

const char *kafka_sink__last_error(const struct kafka_sink *ks)
{
	return ks->last_error;
}

rd_kafka_t *kafka_sink__producer(const struct kafka_sink *ks)
{
	return ks->rk;
}

uint64_t kafka_sink__acked(const struct kafka_sink *ks, enum flow_kind kind)
{
	return ks && kind < FLOW_KIND_MAX ? ks->acked[kind] : 0;
}

/*
 * The ts_ns of the oldest record not acknowledged, 0 when none. Records
 * before the last one found were all acknowledged then, so the search goes
 * on from there: while that record waits nothing is read, and otherwise only
 * the headers of the records acknowledged since and the new oldest one.
 */
static uint64_t oldest_ts_ns(struct kafka_sink *ks)
{
	struct spool_record rec;

	if (ks->oldest_ts_ns && spool__pending(ks->spool, &ks->oldest_pos))
		return ks->oldest_ts_ns;
	ks->oldest_ts_ns = 0;
	if (spool__read(ks->spool, &ks->oldest_cur, &rec))
		return 0;
	ks->oldest_pos = rec.pos;
	ks->oldest_ts_ns = kafka_handoff_ts_ns(&rec);
	return ks->oldest_ts_ns;
}

/* Wall-clock age of the oldest record in the spool, 0 when it is empty. */
static uint64_t spool_oldest_age_ns(struct kafka_sink *ks, const struct spool_stats *sp)
{
	uint64_t ts, now;

	if (!ks->spool || !sp->records)
		return 0;
	ts = oldest_ts_ns(ks);
	now = clock_ns(CLOCK_REALTIME);
	return ts && ts < now ? now - ts : 0;
}

void kafka_sink__fill(struct kafka_sink *ks, Hostmon__V1__KafkaSink *m)
{
	struct spool_stats sp = { 0 };

	if (ks->spool)
		spool__stats(ks->spool, &sp);
	m->state = (char *)kafka_sink__state(ks);
	m->last_error = ks->last_error;
	m->last_error_ns = ks->last_error_ns;
	m->delivered = ks->delivered;
	m->delivered_seq = ks->delivered_seq;
	m->lost = ks->lost;
	m->retries = ks->before.retries + ks->stats.retries;
	m->request_timeouts = ks->before.request_timeouts + ks->stats.request_timeouts;
	m->producers_recreated = ks->recreated;
	m->queue_depth = ks->stats.queue_msgs;
	m->queue_bytes = ks->stats.queue_bytes;
	m->connected_brokers = ks->stats.connected_brokers;
	m->spool_records = sp.records;
	m->spool_bytes = sp.bytes;
	m->spool_oldest_age_ns = spool_oldest_age_ns(ks, &sp);
}

struct json_object *kafka_sink__report(struct kafka_sink *ks)
{
	Hostmon__V1__KafkaSink m = HOSTMON__V1__KAFKA_SINK__INIT;

	kafka_sink__fill(ks, &m);
	return pbjson_object(&m.base, PBJSON_LINES);
}

void kafka_sink__window(struct kafka_sink *ks, struct record *rec, Hostmon__V1__KafkaSink *m)
{
	Hostmon__V1__DeliveryLatency *o = record__msg(rec, &hostmon__v1__delivery_latency__descriptor);

	kafka_latency_window(&ks->lat, o);
	m->delivery_latency = o;
}
