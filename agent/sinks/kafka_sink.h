/* The Kafka sink: every record as a hostmon.v1.Envelope, keyed by host id, through an idempotent librdkafka producer. */
#ifndef HOSTMON_KAFKA_SINK_H
#define HOSTMON_KAFKA_SINK_H

#include <stdint.h>
#include <json-c/json.h>
#include <librdkafka/rdkafka.h>
#include "record/envelope.h"
#include "core/compiler.h"
#include "record/flow.h"
#include "proto/hostmon.pb-c.h"

struct kafka_conf;
struct kafka_sink;
struct record;
struct spool;

/*
 * A producer for topic on brokers (a comma list), idempotent with acks=all
 * and lz4 compression; key is the host id. Connecting happens in librdkafka's
 * threads: an unreachable broker is not an error here. NULL with errno set
 * and err filled when librdkafka refuses the configuration.
 *
 * With a spool (owned by the caller, freed after the sink) the spool is the
 * queue: every record is staged in it, written with its batch by
 * kafka_sink__commit, produced from it in order while librdkafka's queue has
 * room, and leaves it on its positive delivery report or on a permanent
 * failure (counted lost). Records wait for the broker without a time limit;
 * the records the spool held at open go first.
 *
 * kc: the librdkafka properties of [kafka] (SASL, TLS, ...), applied after
 * hostmond's own so that client.id and compression.codec can be changed;
 * copied, so a producer recreated after a fatal error has them too.
 */
HM_MUST_CHECK
struct kafka_sink *kafka_sink__new(const char *brokers, const char *topic, const char *key,
				   const struct envelope_ids *ids, struct spool *spool,
				   const struct kafka_conf *kc, char *err, size_t errlen);
/*
 * Waits up to timeout_ms for the queued records (with a spool, producing its
 * backlog meanwhile). Without a spool the ones left are counted lost; with
 * one they stay in it for the next start.
 */
void kafka_sink__close(struct kafka_sink *ks, int timeout_ms);
void kafka_sink__free(struct kafka_sink *ks);
/*
 * Packs rec's envelope (with the sink's instance id and agent version) and
 * stages it in the spool with its kind, seq and ts_ns (kafka_sink__commit
 * writes and sends it), or without a spool queues it; 0 or -errno (the
 * record is counted lost). A full librdkafka queue is not an error with a
 * spool.
 */
int kafka_sink__write(struct kafka_sink *ks, const struct record *rec);
/*
 * Writes the records staged since the last commit to the spool in one batch
 * and produces what librdkafka's queue has room for: called once the records
 * of a pass are written. Nothing reaches librdkafka before its batch is in
 * the spool's files. NULL: nothing.
 */
void kafka_sink__commit(struct kafka_sink *ks);
/*
 * Serves delivery reports, statistics and errors without blocking, recreates
 * the producer after a fatal error, commits what is staged and produces
 * spooled records the queue had no room for.
 */
void kafka_sink__poll(struct kafka_sink *ks);
/*
 * How long the event loop may sleep before the next kafka_sink__poll: -1
 * (until something else happens) or a few ms while spooled records wait for
 * room in the queue or staged ones for their commit.
 */
int kafka_sink__wait_ms(const struct kafka_sink *ks);

/* The sink's figures, from here on (kafka_report.c). */

/* Cumulative: records acknowledged by the broker, and records lost (never delivered). */
uint64_t kafka_sink__delivered(const struct kafka_sink *ks);
uint64_t kafka_sink__lost(const struct kafka_sink *ks);
/* connecting, connected, unreachable (no broker up) or error (records failing, fatal error). */
const char *kafka_sink__state(const struct kafka_sink *ks);
/* The latest error's text (naming the broker or topic), "" before any. */
const char *kafka_sink__last_error(const struct kafka_sink *ks);
/* This instance's records of kind the broker acknowledged (cumulative; 0 for a NULL sink). */
uint64_t kafka_sink__acked(const struct kafka_sink *ks, enum flow_kind kind);
/*
 * The sink's figures for metrics records and /health: state, last error
 * (text and wall-clock ns), cumulative counters (delivered, lost, retries,
 * request timeouts, producers recreated) and gauges (queue, spool, the age
 * of the spool's oldest record not acknowledged, connected brokers). Strings
 * point into the sink: valid until its next call.
 */
void kafka_sink__fill(struct kafka_sink *ks, Hostmon__V1__KafkaSink *m);
/* The same as JSON (the JSON-lines shape), a new object for /health. */
struct json_object *kafka_sink__report(struct kafka_sink *ks);
/* The current producer (a new one after a fatal error), for tests. */
rd_kafka_t *kafka_sink__producer(const struct kafka_sink *ks);

/*
 * Sets m's delivery latency (in rec's arena) to the window's, from each
 * record's ts_ns to the broker's acknowledgement: count, p50_ns, p95_ns,
 * p99_ns, max_ns; then starts the next window.
 */
void kafka_sink__window(struct kafka_sink *ks, struct record *rec, Hostmon__V1__KafkaSink *m);

#endif /* HOSTMON_KAFKA_SINK_H */
