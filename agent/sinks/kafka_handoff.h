/* The Kafka sink's spool handoff: from the spool to librdkafka, in order. */
#ifndef HOSTMON_KAFKA_HANDOFF_H
#define HOSTMON_KAFKA_HANDOFF_H

#include <stddef.h>
#include <stdint.h>
#include "sinks/spool.h"

struct kafka_sink;

/*
 * Produces spooled records from ks's cursor, in order, while librdkafka takes
 * them; after a retriable failure, once nothing is in flight, from the oldest
 * record not acknowledged. Notes in ks whether records are left waiting.
 */
void kafka_handoff_pump(struct kafka_sink *ks);
/*
 * A record outside the spool, this instance's; 0, or -ENOBUFS (queue full)
 * or -EIO when librdkafka refuses it (counted lost).
 */
int kafka_handoff_bare(struct kafka_sink *ks, const struct spool_meta *meta,
		       const uint8_t *payload, size_t len);
/* spool__commit's callback (ctx: the sink) for a record it could not write: sent without it. */
void kafka_handoff_unwritten(void *ctx, const struct spool_record *rec, int err);
/* A spooled record's ts_ns (from its envelope for one spooled before an upgrade); 0: unknown. */
uint64_t kafka_handoff_ts_ns(const struct spool_record *rec);

#endif /* HOSTMON_KAFKA_HANDOFF_H */
