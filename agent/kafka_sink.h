/* The Kafka sink: every record as a hostmon.v1.Envelope, keyed by host id, through an idempotent librdkafka producer. */
#ifndef HOSTMON_KAFKA_SINK_H
#define HOSTMON_KAFKA_SINK_H

#include <stdint.h>
#include <json-c/json.h>
#include "envelope.h"

struct kafka_conf;
struct kafka_sink;
struct spool;

/*
 * A producer for topic on brokers (a comma list), idempotent with acks=all
 * and lz4 compression; key is the host id. Connecting happens in librdkafka's
 * threads: an unreachable broker is not an error here. NULL with errno set
 * and err filled when librdkafka refuses the configuration.
 *
 * With a spool (owned by the caller, freed after the sink), every record is
 * appended to it before it is produced and leaves it on its positive
 * delivery report; records wait for the broker without a time limit, and the
 * records the spool held at open are produced first, before any new one.
 *
 * kc: the librdkafka properties of [kafka] (SASL, TLS, ...), applied after
 * hostmond's own so that client.id and compression.codec can be changed.
 */
struct kafka_sink *kafka_sink__new(const char *brokers, const char *topic, const char *key,
				   const struct envelope_ids *ids, struct spool *spool,
				   const struct kafka_conf *kc, char *err, size_t errlen);
/*
 * Waits up to timeout_ms for the queued records. Without a spool the ones
 * left are counted lost; with one they stay in it for the next start.
 */
void kafka_sink__close(struct kafka_sink *ks, int timeout_ms);
void kafka_sink__free(struct kafka_sink *ks);
/* Packs rec and queues it; 0 or -errno (the record is counted lost). */
int kafka_sink__write(struct kafka_sink *ks, struct json_object *rec);
/* Serves delivery reports (counts) without blocking. */
void kafka_sink__poll(struct kafka_sink *ks);

/* Cumulative: records acknowledged by the broker, and records lost (never delivered). */
uint64_t kafka_sink__delivered(const struct kafka_sink *ks);
uint64_t kafka_sink__lost(const struct kafka_sink *ks);

#endif /* HOSTMON_KAFKA_SINK_H */
