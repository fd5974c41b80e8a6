/*
 * The Kafka sink's state, shared by the modules that make it up (not for the
 * rest of the agent): kafka_sink.c (the object, its records in and out),
 * kafka_producer.c (librdkafka and its callbacks), kafka_handoff.c (the spool
 * to librdkafka), kafka_failure.c (what a failure leaves: the last error and
 * a log line), kafka_report.c (figures for metrics and /health).
 */
#ifndef HOSTMON_KAFKA_SINK_IMPL_H
#define HOSTMON_KAFKA_SINK_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>
#include "config/kafka_conf.h"
#include "core/log.h"
#include "record/envelope.h"
#include "record/flow.h"
#include "sinks/inflight.h"
#include "sinks/kafka_latency.h"
#include "sinks/kafka_stats.h"
#include "sinks/spool.h"
#include "sinks/spool_reader.h"

/* A produce refused for another reason than a full queue (unknown topic) is retried this late. */
#define KAFKA_RETRY_NS		1000000000ULL

struct kafka_sink {
	rd_kafka_t *rk;		/* NULL between a failed recreation and the next try */
	rd_kafka_topic_t *topic;
	char *brokers;
	char *topic_name;
	char *key;
	struct envelope_ids ids;
	uint8_t *pack_buf;	/* the latest record's envelope */
	size_t pack_cap;
	struct kafka_conf kc;	/* [kafka] properties, for every producer made */
	struct spool *spool;	/* NULL: none */
	struct spool_cursor cur;	/* the next spooled record to produce */
	struct inflight *inflight;	/* what each message's delivery report needs */
	uint64_t in_flight;	/* spooled records librdkafka holds */
	uint64_t retry_at_ns;	/* monotonic: no produce before */
	bool blocked;		/* the last pump stopped with records left */
	bool resend;		/* a retriable failure: produce again from the oldest unacked */
	bool fatal;		/* a fatal error to handle on the loop thread */
	bool failing;		/* the latest record outcome was a failure */
	bool have_stats;
	struct kafka_stats stats;	/* the current producer's */
	struct kafka_stats before;	/* counters of the producers a fatal error replaced */
	uint64_t delivered;
	uint64_t lost;
	uint64_t recreated;
	/* One log line per kind of failure, the first at once, then at most one per
	 * LOG_REPEAT_PERIOD_NS that counts the others. */
	struct log_limit lost_log;
	struct log_limit spool_failures;
	struct log_limit broker_errors;	/* error callbacks: connection, resolution */
	struct log_limit topic_errors;	/* records refused or failed for a retriable reason */
	char last_error[256];
	uint64_t last_error_ns;	/* wall clock */
	struct kafka_latency lat;	/* this window's delivery latencies */
	uint64_t delivered_seq;	/* this instance's highest acknowledged seq */
	uint64_t acked[FLOW_KIND_MAX];	/* this instance's records acknowledged, by kind */
	/* The oldest record not acknowledged: where it was last found, and its ts_ns. */
	struct spool_cursor oldest_cur;
	struct spool_pos oldest_pos;
	uint64_t oldest_ts_ns;	/* 0: to be found again */
};

#endif /* HOSTMON_KAFKA_SINK_IMPL_H */
