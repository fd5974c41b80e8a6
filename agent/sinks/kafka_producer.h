/* The Kafka sink's librdkafka producer: made, closed, recreated after a fatal error. */
#ifndef HOSTMON_KAFKA_PRODUCER_H
#define HOSTMON_KAFKA_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <librdkafka/rdkafka.h>

struct kafka_sink;

/*
 * A producer and topic handle for ks (hostmond's properties, then [kafka]'s),
 * its callbacks writing into ks; 0, or -EINVAL with err filled.
 */
int kafka_producer_open(struct kafka_sink *ks, char *err, size_t errlen);
/* Destroys ks's producer and topic handle, if any. */
void kafka_producer_close(struct kafka_sink *ks);
/*
 * After a fatal error: the old producer purged and destroyed (its counters
 * kept), a new one made that sends again from the oldest record not
 * acknowledged; if that fails, retried a second later.
 */
void kafka_producer_recreate(struct kafka_sink *ks);
/*
 * Failures that sending again cannot cure: the record is too large for the
 * broker or the client, malformed, or not authorized.
 */
bool kafka_producer_permanent(rd_kafka_resp_err_t err);

#endif /* HOSTMON_KAFKA_PRODUCER_H */
