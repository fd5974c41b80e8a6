/* The Kafka sink's delivery latency of one window: a record's ts_ns to the broker's acknowledgement. */
#ifndef HOSTMON_KAFKA_LATENCY_H
#define HOSTMON_KAFKA_LATENCY_H

#include <stdbool.h>
#include <stdint.h>
#include "record/hist.h"
#include "proto/hostmon.pb-c.h"

struct kafka_latency {
	uint64_t buckets[HIST_BUCKETS];	/* log-linear, as the syscall histograms */
	uint64_t n;
	uint64_t max_ns;
};

/*
 * One acknowledged message: from its timestamp (ms; CreateTime, the record's
 * ts_ns) to now_ns (wall clock). A broker-stamped time (LogAppendTime, not
 * create_time), none (<= 0) or one in the future says nothing: not counted.
 */
void kafka_latency_note(struct kafka_latency *l, int64_t ts_ms, bool create_time,
			uint64_t now_ns);
/*
 * The window's count, p50_ns, p95_ns, p99_ns and max_ns into o (NULL: none),
 * then the next window starts empty.
 */
void kafka_latency_window(struct kafka_latency *l, Hostmon__V1__DeliveryLatency *o);

#endif /* HOSTMON_KAFKA_LATENCY_H */
