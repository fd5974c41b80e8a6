/* librdkafka's statistics document (statistics.interval.ms) reduced to the figures the agent reports. */
#ifndef HOSTMON_KAFKA_STATS_H
#define HOSTMON_KAFKA_STATS_H

#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

/* One producer instance's figures; the counters are since that instance started. */
struct kafka_stats {
	uint64_t queue_msgs;		/* msg_cnt: records in librdkafka's queues */
	uint64_t queue_bytes;		/* msg_size */
	uint64_t retries;		/* txretries, summed over brokers */
	uint64_t request_timeouts;	/* req_timeouts, summed over brokers */
	uint64_t tx_errors;		/* txerrs, summed over brokers */
	uint64_t connected_brokers;	/* brokers in state UP (librdkafka's internal one never is) */
};

/*
 * Parses a statistics document of len bytes (not NUL-terminated). 0, or
 * -EINVAL when it is not a JSON object with the top-level msg_cnt: out is
 * then untouched. Missing broker fields count as 0.
 */
HM_MUST_CHECK
int kafka_stats_parse(const char *json, size_t len, struct kafka_stats *out);

#endif /* HOSTMON_KAFKA_STATS_H */
