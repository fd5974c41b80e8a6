/* The Kafka sink's delivery latency: one log-linear histogram a window, read as percentiles. */
#include <string.h>
#include "sinks/kafka_latency.h"

void kafka_latency_note(struct kafka_latency *l, int64_t ts_ms, bool create_time,
			uint64_t now_ns)
{
	uint64_t lat;

	if (!create_time || ts_ms <= 0 || (uint64_t)ts_ms * 1000000 > now_ns)
		return;
	lat = now_ns - (uint64_t)ts_ms * 1000000;
	l->buckets[hist_bucket(lat) % HIST_BUCKETS]++;
	l->n++;
	if (lat > l->max_ns)
		l->max_ns = lat;
}

void kafka_latency_window(struct kafka_latency *l, Hostmon__V1__DeliveryLatency *o)
{
	if (o) {
		o->count = l->n;
		o->p50_ns = hist_quantile(l->buckets, l->n, 5000, l->max_ns);
		o->p95_ns = hist_quantile(l->buckets, l->n, 9500, l->max_ns);
		o->p99_ns = hist_quantile(l->buckets, l->n, 9900, l->max_ns);
		o->max_ns = l->max_ns;
	}
	memset(l, 0, sizeof(*l));
}
