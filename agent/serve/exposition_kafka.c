/* The Kafka sink's families of the exposition, as the latest window saw them. */
#include <string.h>
#include "serve/exposition_kafka.h"
#include "serve/jsonsum.h"
#include "core/jsonget.h"

/* Name, type, key in the metrics record's kafka object, help. */
static const char *const kafka_metrics[][4] = {
	{ "hostmon_kafka_delivered_total", "counter", "delivered",
	  "Records the Kafka broker acknowledged, since the agent started." },
	{ "hostmon_kafka_lost_total", "counter", "lost",
	  "Records never delivered to Kafka (too large, not authorized, no spool), since the agent started." },
	{ "hostmon_kafka_retries_total", "counter", "retries",
	  "Produce requests librdkafka sent again, since the agent started." },
	{ "hostmon_kafka_request_timeouts_total", "counter", "request_timeouts",
	  "Requests to Kafka brokers that timed out, since the agent started." },
	{ "hostmon_kafka_producers_recreated_total", "counter", "producers_recreated",
	  "Kafka producers replaced after a fatal error, since the agent started." },
	{ "hostmon_kafka_queue_messages", "gauge", "queue_depth",
	  "Records in librdkafka's queue, waiting for the broker." },
	{ "hostmon_kafka_queue_bytes", "gauge", "queue_bytes",
	  "Bytes of the records in librdkafka's queue." },
	{ "hostmon_kafka_spool_records", "gauge", "spool_records",
	  "Records in the spool, not yet acknowledged by the broker." },
	{ "hostmon_kafka_spool_bytes", "gauge", "spool_bytes",
	  "Bytes of spool segments on disk." },
	{ "hostmon_kafka_spool_oldest_age_seconds", "gauge", "spool_oldest_age_ns",
	  "Age of the oldest spooled record the broker has not acknowledged; 0 when none." },
	{ "hostmon_kafka_connected_brokers", "gauge", "connected_brokers",
	  "Kafka brokers the producer is connected to." },
};

/* The latest window's delivery latency (record emitted to broker acknowledgement). */
static void render_delivery_latency(struct prom *p, struct json_object *lat)
{
	static const char *const qs[][2] = {
		{ "0.5", "p50_ns" }, { "0.95", "p95_ns" }, { "0.99", "p99_ns" }, { "1", "max_ns" },
	};
	const char *m = "hostmon_kafka_delivery_latency_window_seconds";

	if (!lat)
		return;
	prom_family(p, m, "gauge", "Records' time from emission to the broker's acknowledgement, "
		    "quantiles of the latest window (spool waits included).");
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		prom_sec(p, m, jsonget_u64(lat, qs[i][1]), "quantile", qs[i][0], NULL);
	prom_family(p, "hostmon_kafka_delivered_window", "gauge",
		    "Records the broker acknowledged in the latest window.");
	prom_u64(p, "hostmon_kafka_delivered_window", jsonget_u64(lat, "count"), NULL);
}

/* The latest window's kafka object: cumulative counters and gauges as they were then. */
void exposition_kafka_render(struct prom *p, struct json_object *window)
{
	struct json_object *k, *state;

	if (!window || !json_object_object_get_ex(window, "kafka", &k))
		return;
	for (size_t i = 0; i < sizeof(kafka_metrics) / sizeof(kafka_metrics[0]); i++) {
		prom_family(p, kafka_metrics[i][0], kafka_metrics[i][1], kafka_metrics[i][3]);
		if (strstr(kafka_metrics[i][2], "_ns"))
			prom_sec(p, kafka_metrics[i][0], jsonget_u64(k, kafka_metrics[i][2]), NULL);
		else
			prom_u64(p, kafka_metrics[i][0], jsonget_u64(k, kafka_metrics[i][2]), NULL);
	}
	prom_family(p, "hostmon_kafka_state", "gauge",
		    "1 for the Kafka sink's state (connecting, connected, unreachable, error).");
	if (json_object_object_get_ex(k, "state", &state))
		prom_u64(p, "hostmon_kafka_state", 1, "state", json_object_get_string(state), NULL);
	render_delivery_latency(p, jsonsum_child(k, "delivery_latency"));
}
