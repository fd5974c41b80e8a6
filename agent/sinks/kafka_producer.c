/* The Kafka sink's librdkafka producer: its configuration, its callbacks (log lines,
 * delivery reports, errors, statistics) and its recreation after a fatal error. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"
#include "core/log.h"
#include "sinks/kafka_failure.h"
#include "sinks/kafka_latency.h"
#include "sinks/kafka_producer.h"
#include "sinks/kafka_sink_impl.h"

/* With a spool, librdkafka's queue only has to keep batches full: the spool is the backlog. */
#define SPOOLED_QUEUE_MAX	"10000"

/*
 * librdkafka's log lines (from its own threads) into the one logger. Its
 * connection failures (FAIL) also reach on_error, which logs them
 * rate-limited: here they are debug, so each shows once.
 */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (!strcmp(fac, "FAIL"))
		level = 7;
	if (level <= 3)
		log_error("kafka", HM_E_KAFKA_CLIENT, LOG_FIELDS(LF_STR("facility", fac)), "%s: %s", fac, buf);
	else if (level <= 5)
		log_warn("kafka", HM_E_KAFKA_CLIENT, LOG_FIELDS(LF_STR("facility", fac)), "%s: %s", fac, buf);
	else if (level == 6)
		log_info("kafka", "%s: %s", fac, buf);
	else
		log_debug("kafka", "%s: %s", fac, buf);
}

/* Purged at shutdown or recreation: not delivered, not lost either while it stays in the spool. */
static bool purged(rd_kafka_resp_err_t err)
{
	return err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT ||
	       err == RD_KAFKA_RESP_ERR__DESTROY;
}

/*
 * Failures that sending again cannot cure: the record is too large for the
 * broker or the client, malformed, or not authorized. Anything else (unknown
 * topic or partition, timeouts, a fatal producer error) keeps the record.
 */
bool kafka_producer_permanent(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
	case RD_KAFKA_RESP_ERR_INVALID_MSG:
	case RD_KAFKA_RESP_ERR_INVALID_RECORD:
	case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
		return true;
	default:
		return false;
	}
}

/*
 * The message's timestamp is its record's ts_ns (set at produce): the time
 * from the record's emission to the broker's acknowledgement, waits in the
 * spool included. A topic stamping LogAppendTime hides it: not counted.
 */
static void note_latency(struct kafka_sink *ks, const rd_kafka_message_t *msg)
{
	rd_kafka_timestamp_type_t type;
	int64_t ts_ms = rd_kafka_message_timestamp(msg, &type);

	kafka_latency_note(&ks->lat, ts_ms, type == RD_KAFKA_TIMESTAMP_CREATE_TIME,
			   clock_ns(CLOCK_REALTIME));
}

/*
 * The highest seq of this instance the broker acknowledged (acks come in
 * order: one partition), and its records by kind; m: what the record's slot
 * says of it (NULL: nothing known, counted delivered only).
 */
static void note_delivered(struct kafka_sink *ks, const rd_kafka_message_t *msg,
			   const struct inflight_msg *m)
{
	ks->delivered++;
	ks->failing = false;
	note_latency(ks, msg);
	if (!m || !m->mine)
		return;
	if (m->seq > ks->delivered_seq)
		ks->delivered_seq = m->seq;
	if (m->kind < FLOW_KIND_MAX)
		ks->acked[m->kind]++;
}

static void spooled_delivery(struct kafka_sink *ks, const rd_kafka_message_t *msg,
			     const struct inflight_msg *m)
{
	if (ks->in_flight)
		ks->in_flight--;
	if (purged(msg->err))
		return;
	if (msg->err && !kafka_producer_permanent(msg->err)) {
		ks->resend = true;
		kafka_failure_kept(ks, "delivery", rd_kafka_err2str(msg->err));
		return;
	}
	if (msg->err)
		kafka_failure_lost(ks, "delivery", rd_kafka_err2str(msg->err));
	else
		note_delivered(ks, msg, m);
	spool__ack(ks->spool, &m->pos);
}

/*
 * Runs in rd_kafka_poll, on the event loop's thread. The message's opaque
 * names its in-flight slot: the payload is never decoded here.
 */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	struct kafka_sink *ks = opaque;
	struct inflight_msg m;
	bool known = inflight__take(ks->inflight, msg->_private, &m);

	(void)rk;
	if (known && m.pos.segment) {
		spooled_delivery(ks, msg, &m);
	} else if (msg->err) {
		kafka_failure_lost(ks, "delivery", rd_kafka_err2str(msg->err));
	} else {
		note_delivered(ks, msg, known ? &m : NULL);
	}
}

/*
 * Broker-level errors (refused, unresolvable, all brokers down) and fatal
 * ones, served by rd_kafka_poll on the loop thread. The reason names the broker.
 */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka_sink *ks = opaque;

	(void)rk;
	/* "1/1 brokers are down" sums up the error before it, which names the broker: kept. */
	if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || !ks->last_error[0])
		kafka_failure_note(ks, "%s: %s", rd_kafka_err2name(err), reason);
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		ks->fatal = true;
		return;
	}
	kafka_failure_broker(ks, reason);
}

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct kafka_sink *ks = opaque;

	(void)rk;
	if (!kafka_stats_parse(json, len, &ks->stats))
		ks->have_stats = true;
	return 0;	/* librdkafka frees json */
}

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
		    size_t errlen)
{
	return rd_kafka_conf_set(conf, name, value, err, errlen) == RD_KAFKA_CONF_OK ? 0 : -EINVAL;
}

/*
 * Idempotent (which implies acks=all and in-order retries). Without a spool
 * the local queue is bounded so a broker that is away costs at most 64 MiB
 * before records are counted lost; with one, records never time out (0: no
 * limit) and the queue is small, the rest waiting in the spool. Statistics
 * every second feed the metrics; a topic created after the start is seen
 * within 10 s. The [kafka] properties come last (secrets read again).
 */
static rd_kafka_conf_t *producer_conf(struct kafka_sink *ks, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	if (!conf)
		return NULL;
	if (conf_set(conf, "bootstrap.servers", ks->brokers, err, errlen) ||
	    conf_set(conf, "enable.idempotence", "true", err, errlen) ||
	    conf_set(conf, "acks", "all", err, errlen) ||
	    conf_set(conf, "compression.codec", "lz4", err, errlen) ||
	    conf_set(conf, "linger.ms", "50", err, errlen) ||
	    conf_set(conf, "queue.buffering.max.kbytes", "65536", err, errlen) ||
	    conf_set(conf, "client.id", "hostmond", err, errlen) ||
	    conf_set(conf, "statistics.interval.ms", "1000", err, errlen) ||
	    conf_set(conf, "topic.metadata.refresh.interval.ms", "10000", err, errlen) ||
	    (ks->spool && conf_set(conf, "message.timeout.ms", "0", err, errlen)) ||
	    (ks->spool && conf_set(conf, "queue.buffering.max.messages", SPOOLED_QUEUE_MAX, err,
				   errlen)) ||
	    kafka_conf_apply(&ks->kc, conf, err, errlen)) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_stats_cb(conf, on_stats);
	rd_kafka_conf_set_opaque(conf, ks);
	return conf;
}

int kafka_producer_open(struct kafka_sink *ks, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = producer_conf(ks, err, errlen);

	if (!conf)
		return -EINVAL;
	/* rd_kafka_new owns conf from here on, on success only. */
	ks->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
	if (!ks->rk) {
		rd_kafka_conf_destroy(conf);
		return -EINVAL;
	}
	ks->topic = rd_kafka_topic_new(ks->rk, ks->topic_name, NULL);
	if (!ks->topic) {
		snprintf(err, errlen, "topic %s: %s", ks->topic_name,
			 rd_kafka_err2str(rd_kafka_last_error()));
		return -EINVAL;
	}
	return 0;
}

void kafka_producer_close(struct kafka_sink *ks)
{
	if (ks->topic)
		rd_kafka_topic_destroy(ks->topic);
	if (ks->rk)
		rd_kafka_destroy(ks->rk);
	ks->topic = NULL;
	ks->rk = NULL;
}

/*
 * A fatal error (e.g. an idempotence sequence broken) ends a producer for
 * good: what it held is purged, not acknowledged, so still in the spool, and
 * a new producer sends it again from the oldest record not acknowledged.
 * Records it had sent but whose report never came may be sent twice.
 */
void kafka_producer_recreate(struct kafka_sink *ks)
{
	char reason[256] = "", err[512];
	rd_kafka_resp_err_t code;

	ks->fatal = false;
	if (ks->rk) {
		code = rd_kafka_fatal_error(ks->rk, reason, sizeof(reason));
		log_error("kafka", HM_E_KAFKA_FATAL, LOG_FIELDS(LF_STR("brokers", ks->brokers)),
			  "fatal producer error on %s: %s: %s: recreating the producer; "
			  "records not delivered are sent again from the spool (duplicates possible)",
			  ks->brokers, rd_kafka_err2name(code), reason);
		rd_kafka_purge(ks->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(ks->rk, 0);
		/* Without a spool, what is still held is gone with the producer: counted. */
		if (!ks->spool)
			ks->lost += (uint64_t)rd_kafka_outq_len(ks->rk);
		ks->before.retries += ks->stats.retries;
		ks->before.request_timeouts += ks->stats.request_timeouts;
		ks->before.tx_errors += ks->stats.tx_errors;
		memset(&ks->stats, 0, sizeof(ks->stats));
		ks->have_stats = false;
		kafka_producer_close(ks);
	}
	/* No report comes from a producer destroyed: its slots are free. */
	inflight__clear(ks->inflight);
	ks->in_flight = 0;
	ks->resend = false;
	memset(&ks->cur, 0, sizeof(ks->cur));
	if (kafka_producer_open(ks, err, sizeof(err))) {
		kafka_producer_close(ks);
		ks->fatal = true;
		ks->retry_at_ns = clock_ns(CLOCK_MONOTONIC) + KAFKA_RETRY_NS;
		log_error("kafka", HM_E_KAFKA_PRODUCER, LOG_FIELDS(LF_STR("brokers", ks->brokers)),
			  "recreating the producer for %s failed: %s: retried in a second",
			  ks->brokers, err);
		return;
	}
	ks->recreated++;
}
