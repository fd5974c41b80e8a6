/* Kafka sink: packs records as envelopes, produces them from the spool in order, counts what the broker acknowledged and what was lost. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"
#include "record/flow.h"
#include "record/hist.h"
#include "sinks/inflight.h"
#include "config/kafka_conf.h"
#include "sinks/kafka_sink.h"
#include "record/record.h"
#include "sinks/kafka_stats.h"
#include "core/log.h"
#include "record/pbjson.h"
#include "sinks/spool.h"

/* With a spool, librdkafka's queue only has to keep batches full: the spool is the backlog. */
#define SPOOLED_QUEUE_MAX	"10000"
/* A produce refused for another reason than a full queue (unknown topic) is retried this late. */
#define RETRY_NS		1000000000ULL
/* The event loop's sleep while spooled records wait for room. */
#define BACKLOG_WAIT_MS		100
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
	/* This window's delivery latencies: record's ts_ns to its acknowledgement. */
	uint64_t lat[HIST_BUCKETS];
	uint64_t lat_n, lat_max_ns;
	uint64_t delivered_seq;	/* this instance's highest acknowledged seq */
	uint64_t acked[FLOW_KIND_MAX];	/* this instance's records acknowledged, by kind */
	/* The oldest record not acknowledged: where it was last found, and its ts_ns. */
	struct spool_cursor oldest_cur;
	struct spool_pos oldest_pos;
	uint64_t oldest_ts_ns;	/* 0: to be found again */
};

static void note_error(struct kafka_sink *ks, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The latest error, for /health and the metrics records. */
static void note_error(struct kafka_sink *ks, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ks->last_error, sizeof(ks->last_error), fmt, ap);
	va_end(ap);
	log_mask_secrets(ks->last_error);
	ks->last_error_ns = clock_ns(CLOCK_REALTIME);
}

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

static void record_lost(struct kafka_sink *ks, const char *what, const char *why)
{
	ks->failing = true;
	ks->lost++;
	note_error(ks, "%s to topic %s failed: %s", what, ks->topic_name, why);
	log_limited(&ks->lost_log, LOG_LEVEL_ERROR, "kafka", HM_E_KAFKA_RECORD_LOST,
		    LOG_FIELDS(LF_STR("topic", ks->topic_name)),
		    "%s to topic %s failed: %s: record dropped (%llu since the last line, "
		    "%llu records lost in all)", what, ks->topic_name, why,
		    (unsigned long long)ks->lost_log.shown_for, (unsigned long long)ks->lost);
}

/* A record kept in the spool after a failure that may pass (the topic may be created). */
static void record_kept(struct kafka_sink *ks, const char *what, const char *why)
{
	ks->failing = true;
	note_error(ks, "%s to topic %s failed: %s", what, ks->topic_name, why);
	log_limited(&ks->topic_errors, LOG_LEVEL_ERROR, "kafka", HM_E_KAFKA_RECORD_RETRY,
		    LOG_FIELDS(LF_STR("topic", ks->topic_name)),
		    "%s to topic %s failed: %s: kept in the spool, sent again "
		    "later (%llu since the last line, %llu in all)", what, ks->topic_name, why,
		    (unsigned long long)ks->topic_errors.shown_for,
		    (unsigned long long)ks->topic_errors.count);
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
static bool permanent(rd_kafka_resp_err_t err)
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
	uint64_t now = clock_ns(CLOCK_REALTIME), lat;

	if (type != RD_KAFKA_TIMESTAMP_CREATE_TIME || ts_ms <= 0 || (uint64_t)ts_ms * 1000000 > now)
		return;
	lat = now - (uint64_t)ts_ms * 1000000;
	ks->lat[hist_bucket(lat) % HIST_BUCKETS]++;
	ks->lat_n++;
	if (lat > ks->lat_max_ns)
		ks->lat_max_ns = lat;
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
	if (msg->err && !permanent(msg->err)) {
		ks->resend = true;
		record_kept(ks, "delivery", rd_kafka_err2str(msg->err));
		return;
	}
	if (msg->err)
		record_lost(ks, "delivery", rd_kafka_err2str(msg->err));
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
		record_lost(ks, "delivery", rd_kafka_err2str(msg->err));
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
		note_error(ks, "%s: %s", rd_kafka_err2name(err), reason);
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		ks->fatal = true;
		return;
	}
	log_limited(&ks->broker_errors, LOG_LEVEL_ERROR, "kafka", HM_E_KAFKA_BROKER,
		    LOG_FIELDS(LF_STR("brokers", ks->brokers)),
		    "brokers %s: %s (%llu broker errors since the last line, %llu in all)",
		    ks->brokers, reason, (unsigned long long)ks->broker_errors.shown_for,
		    (unsigned long long)ks->broker_errors.count);
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

static int producer_open(struct kafka_sink *ks, char *err, size_t errlen)
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

static void producer_close(struct kafka_sink *ks)
{
	if (ks->topic)
		rd_kafka_topic_destroy(ks->topic);
	if (ks->rk)
		rd_kafka_destroy(ks->rk);
	ks->topic = NULL;
	ks->rk = NULL;
}

/* A record the spool could not take: counted, logged at most every 10 s. */
static void spool_failed(struct kafka_sink *ks, int err)
{
	log_limited(&ks->spool_failures, LOG_LEVEL_ERROR, "kafka", HM_E_SPOOL_WRITE,
		    LOG_FIELDS(LF_ERRNO(-err)),
		    "spooling a record failed: %s: sent unspooled (%llu spool failures "
		    "since the last line, %llu in all)", strerror(-err),
		    (unsigned long long)ks->spool_failures.shown_for,
		    (unsigned long long)ks->spool_failures.count);
}

/*
 * A record outside the spool (librdkafka copies it), this instance's; a
 * refusal is a loss. Its slot carries seq and kind to the delivery report
 * (without memory for one the record goes all the same, counted delivered
 * only).
 */
static int produce_bare(struct kafka_sink *ks, const struct spool_meta *meta,
			const uint8_t *payload, size_t len)
{
	struct inflight_msg m = { .seq = meta->seq, .kind = meta->kind, .mine = true };
	void *slot = ks->rk ? inflight__put(ks->inflight, &m) : NULL;
	rd_kafka_resp_err_t err;

	if (ks->rk && !rd_kafka_produce(ks->topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
					(void *)payload, len, ks->key, strlen(ks->key), slot))
		return 0;
	err = ks->rk ? rd_kafka_last_error() : RD_KAFKA_RESP_ERR__STATE;
	inflight__take(ks->inflight, slot, &m);
	record_lost(ks, "queueing a record", rd_kafka_err2str(err));
	return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? -ENOBUFS : -EIO;
}

/* A record the spool took but could not write: sent without it, as when staging fails. */
static void send_unwritten(void *ctx, const struct spool_record *rec, int err)
{
	struct kafka_sink *ks = ctx;

	spool_failed(ks, err);
	(void)produce_bare(ks, &rec->meta, rec->payload, rec->len);
}

/*
 * A record's ts_ns from its spool header; an "HMS1" record (spooled before
 * an upgrade) has it only in its envelope: 0 when that does not decode.
 */
static uint64_t record_ts_ns(const struct spool_record *rec)
{
	struct envelope_head h;

	if (!(rec->flags & SPOOL_REC_V1))
		return rec->meta.ts_ns;
	return envelope_head(rec->payload, rec->len, &h) ? 0 : h.ts_ns;
}

/*
 * A spooled record to librdkafka (which copies it; the spool's memory is
 * reused at once). 0: taken, or given up for good (counted lost,
 * acknowledged); -EAGAIN: refused for now (queue full: backpressure;
 * unknown topic, no memory for its slot: retried in a second), still spooled.
 */
static int produce_spooled(struct kafka_sink *ks, const struct spool_record *rec)
{
	struct inflight_msg m = {
		.pos = rec->pos, .seq = rec->meta.seq, .kind = rec->meta.kind,
		.mine = !(rec->flags & SPOOL_REC_REPLAYED),
	};
	void *slot = inflight__put(ks->inflight, &m);
	rd_kafka_resp_err_t err;

	if (!slot) {
		ks->retry_at_ns = clock_ns(CLOCK_MONOTONIC) + RETRY_NS;
		record_kept(ks, "queueing a record", strerror(ENOMEM));
		return -EAGAIN;
	}
	/* The record's own time as the message's: consumers and the latency see it.
	 * 0 (not known): librdkafka stamps the message. */
	err = rd_kafka_producev(ks->rk, RD_KAFKA_V_RKT(ks->topic),
				RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_VALUE((void *)rec->payload, rec->len),
				RD_KAFKA_V_KEY(ks->key, strlen(ks->key)),
				RD_KAFKA_V_TIMESTAMP((int64_t)(record_ts_ns(rec) / 1000000)),
				RD_KAFKA_V_OPAQUE(slot), RD_KAFKA_V_END);
	if (!err) {
		ks->in_flight++;
		return 0;
	}
	inflight__take(ks->inflight, slot, &m);
	if (permanent(err)) {
		record_lost(ks, "queueing a record", rd_kafka_err2str(err));
		spool__ack(ks->spool, &rec->pos);
		return 0;
	}
	if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
		ks->retry_at_ns = clock_ns(CLOCK_MONOTONIC) + RETRY_NS;
		record_kept(ks, "queueing a record", rd_kafka_err2str(err));
	}
	return -EAGAIN;
}

/*
 * After a retriable failure the stream starts again at the oldest record
 * not acknowledged, once nothing is in flight (so the order holds); records
 * delivered meanwhile are skipped by the spool or counted once if sent twice.
 */
static bool may_produce(struct kafka_sink *ks)
{
	if (!ks->spool || !ks->rk || clock_ns(CLOCK_MONOTONIC) < ks->retry_at_ns)
		return false;
	if (!ks->resend)
		return true;
	if (ks->in_flight)
		return false;
	memset(&ks->cur, 0, sizeof(ks->cur));
	ks->resend = false;
	return true;
}

/* Produces spooled records from the cursor, in order, while librdkafka takes them. */
static void pump(struct kafka_sink *ks)
{
	struct spool_record rec;
	int err;

	/* Something waits whenever producing is held back: the loop comes back for it. */
	if (!may_produce(ks)) {
		ks->blocked = ks->spool != NULL;
		return;
	}
	while (!(err = spool__read(ks->spool, &ks->cur, &rec))) {
		if (produce_spooled(ks, &rec)) {
			ks->blocked = true;
			return;
		}
		spool__advance(&ks->cur, &rec);
	}
	ks->blocked = false;
	if (err != -ENOENT) {
		ks->blocked = true;
		ks->retry_at_ns = clock_ns(CLOCK_MONOTONIC) + RETRY_NS;
		log_limited(&ks->spool_failures, LOG_LEVEL_ERROR, "kafka", HM_E_SPOOL_READ,
			    LOG_FIELDS(LF_ERRNO(-err)),
			    "reading the spool failed: %s: retried in a second (%llu "
			    "spool failures since the last line)", strerror(-err),
			    (unsigned long long)ks->spool_failures.shown_for);
	}
}

/*
 * A fatal error (e.g. an idempotence sequence broken) ends a producer for
 * good: what it held is purged, not acknowledged, so still in the spool, and
 * a new producer sends it again from the oldest record not acknowledged.
 * Records it had sent but whose report never came may be sent twice.
 */
static void recreate(struct kafka_sink *ks)
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
		producer_close(ks);
	}
	/* No report comes from a producer destroyed: its slots are free. */
	inflight__clear(ks->inflight);
	ks->in_flight = 0;
	ks->resend = false;
	memset(&ks->cur, 0, sizeof(ks->cur));
	if (producer_open(ks, err, sizeof(err))) {
		producer_close(ks);
		ks->fatal = true;
		ks->retry_at_ns = clock_ns(CLOCK_MONOTONIC) + RETRY_NS;
		log_error("kafka", HM_E_KAFKA_PRODUCER, LOG_FIELDS(LF_STR("brokers", ks->brokers)),
			  "recreating the producer for %s failed: %s: retried in a second",
			  ks->brokers, err);
		return;
	}
	ks->recreated++;
}

struct kafka_sink *kafka_sink__new(const char *brokers, const char *topic, const char *key,
				   const struct envelope_ids *ids, struct spool *spool,
				   const struct kafka_conf *kc, char *err, size_t errlen)
{
	struct kafka_sink *ks = calloc(1, sizeof(*ks));

	if (ks) {
		ks->spool = spool;
		ks->kc = *kc;
	}
	if (!ks || !(ks->inflight = inflight__new()) || !(ks->key = strdup(key)) ||
	    !(ks->brokers = strdup(brokers)) ||
	    !(ks->topic_name = strdup(topic)) || !(ks->ids.instance_id = strdup(ids->instance_id)) ||
	    !(ks->ids.agent_version = strdup(ids->agent_version))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (producer_open(ks, err, errlen))
		goto fail;
	pump(ks);	/* what an earlier run left in the spool goes first */
	return ks;
fail:
	kafka_sink__free(ks);
	errno = EINVAL;
	return NULL;
}

/* With a spool: produces the backlog while waiting, until nothing is left or the time is up. */
static void drain_spool(struct kafka_sink *ks, int timeout_ms)
{
	uint64_t end = clock_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000ULL;
	struct spool_stats st;

	do {
		kafka_sink__poll(ks);
		spool__stats(ks->spool, &st);
		if (!st.records || !ks->rk)
			break;
		if (ks->rk)
			rd_kafka_poll(ks->rk, 50);
	} while (clock_ns(CLOCK_MONOTONIC) < end);
	if (st.records)
		log_warn("kafka", HM_E_KAFKA_UNDELIVERED_AT_STOP, LOG_FIELDS(LF_STR("topic", ks->topic_name)),
			 "%llu records not delivered to %s within %d ms: kept in the spool "
			 "for the next start", (unsigned long long)st.records, ks->topic_name,
			 timeout_ms);
}

void kafka_sink__close(struct kafka_sink *ks, int timeout_ms)
{
	int left;

	if (!ks)
		return;
	if (ks->spool) {
		drain_spool(ks, timeout_ms);
	} else if (ks->rk) {
		rd_kafka_flush(ks->rk, timeout_ms);
		left = rd_kafka_outq_len(ks->rk);
		if (left > 0) {
			ks->lost += (uint64_t)left;
			log_error("kafka", HM_E_KAFKA_LOST_AT_STOP, LOG_FIELDS(LF_STR("topic", ks->topic_name)),
				  "%d records not delivered to %s within %d ms: lost", left,
				  ks->topic_name, timeout_ms);
		}
	}
	log_info("kafka", "%llu records delivered, %llu lost", (unsigned long long)ks->delivered,
		 (unsigned long long)ks->lost);
}

void kafka_sink__free(struct kafka_sink *ks)
{
	if (!ks)
		return;
	producer_close(ks);
	inflight__free(ks->inflight);
	free(ks->key);
	free(ks->brokers);
	free(ks->topic_name);
	free((char *)ks->ids.instance_id);
	free((char *)ks->ids.agent_version);
	free(ks->pack_buf);
	free(ks);
}

/* rec's envelope, with this instance's ids, packed into the sink's buffer (reused). */
static int pack(struct kafka_sink *ks, const struct record *rec, size_t *len)
{
	Hostmon__V1__Envelope env = rec->env;
	uint8_t *grown;

	if (rec->arena.failed)
		return -ENOMEM;
	env.instance_id = (char *)ks->ids.instance_id;
	env.agent_version = (char *)ks->ids.agent_version;
	*len = hostmon__v1__envelope__get_packed_size(&env);
	if (*len > ks->pack_cap) {
		grown = realloc(ks->pack_buf, *len);
		if (!grown)
			return -ENOMEM;
		ks->pack_buf = grown;
		ks->pack_cap = *len;
	}
	hostmon__v1__envelope__pack(&env, ks->pack_buf);
	return 0;
}

int kafka_sink__write(struct kafka_sink *ks, const struct record *rec)
{
	/* The spool header carries what delivery reports and replays need: no decode. */
	const struct spool_meta meta = { .kind = rec->kind, .seq = rec->seq, .ts_ns = rec->ts_ns };
	size_t len;
	int err;

	err = pack(ks, rec, &len);
	if (err) {
		record_lost(ks, "encoding a record", strerror(-err));
		return err;
	}
	/* A record the spool cannot take still goes to Kafka, only without the safety net. */
	if (ks->spool) {
		err = len > SPOOL_RECORD_MAX ? -EMSGSIZE :
		      spool__stage(ks->spool, &meta, ks->pack_buf, (uint32_t)len, NULL);
		if (!err)
			return 0;
		spool_failed(ks, err);
	}
	err = produce_bare(ks, &meta, ks->pack_buf, len);
	kafka_sink__poll(ks);
	return err;
}

void kafka_sink__commit(struct kafka_sink *ks)
{
	if (!ks)
		return;
	/* Records it could not write went out unspooled, each counted (send_unwritten). */
	if (ks->spool && spool__commit(ks->spool, send_unwritten, ks))
		log_debug("kafka", "a spool commit failed: its records were sent unspooled");
	pump(ks);
}

void kafka_sink__poll(struct kafka_sink *ks)
{
	if (!ks)
		return;
	if (ks->rk)
		rd_kafka_poll(ks->rk, 0);
	if (ks->fatal && clock_ns(CLOCK_MONOTONIC) >= ks->retry_at_ns)
		recreate(ks);
	kafka_sink__commit(ks);
}

int kafka_sink__wait_ms(const struct kafka_sink *ks)
{
	struct spool_stats st = { 0 };

	if (!ks)
		return -1;
	if (ks->spool)
		spool__stats(ks->spool, &st);
	return ks->blocked || ks->fatal || st.staged ? BACKLOG_WAIT_MS : -1;
}

uint64_t kafka_sink__delivered(const struct kafka_sink *ks)
{
	return ks ? ks->delivered : 0;
}

uint64_t kafka_sink__lost(const struct kafka_sink *ks)
{
	return ks ? ks->lost : 0;
}

const char *kafka_sink__state(const struct kafka_sink *ks)
{
	if (ks->fatal || !ks->rk || ks->failing)
		return "error";
	if (!ks->have_stats)
		return "connecting";
	return ks->stats.connected_brokers ? "connected" : "unreachable";
}

const char *kafka_sink__last_error(const struct kafka_sink *ks)
{
	return ks->last_error;
}

uint64_t kafka_sink__acked(const struct kafka_sink *ks, enum flow_kind kind)
{
	return ks && kind < FLOW_KIND_MAX ? ks->acked[kind] : 0;
}

/*
 * The ts_ns of the oldest record not acknowledged, 0 when none. Records
 * before the last one found were all acknowledged then, so the search goes
 * on from there: while that record waits nothing is read, and otherwise only
 * the headers of the records acknowledged since and the new oldest one.
 */
static uint64_t oldest_ts_ns(struct kafka_sink *ks)
{
	struct spool_record rec;

	if (ks->oldest_ts_ns && spool__pending(ks->spool, &ks->oldest_pos))
		return ks->oldest_ts_ns;
	ks->oldest_ts_ns = 0;
	if (spool__read(ks->spool, &ks->oldest_cur, &rec))
		return 0;
	ks->oldest_pos = rec.pos;
	ks->oldest_ts_ns = record_ts_ns(&rec);
	return ks->oldest_ts_ns;
}

/* Wall-clock age of the oldest record in the spool, 0 when it is empty. */
static uint64_t spool_oldest_age_ns(struct kafka_sink *ks, const struct spool_stats *sp)
{
	uint64_t ts, now;

	if (!ks->spool || !sp->records)
		return 0;
	ts = oldest_ts_ns(ks);
	now = clock_ns(CLOCK_REALTIME);
	return ts && ts < now ? now - ts : 0;
}

void kafka_sink__fill(struct kafka_sink *ks, Hostmon__V1__KafkaSink *m)
{
	struct spool_stats sp = { 0 };

	if (ks->spool)
		spool__stats(ks->spool, &sp);
	m->state = (char *)kafka_sink__state(ks);
	m->last_error = ks->last_error;
	m->last_error_ns = ks->last_error_ns;
	m->delivered = ks->delivered;
	m->delivered_seq = ks->delivered_seq;
	m->lost = ks->lost;
	m->retries = ks->before.retries + ks->stats.retries;
	m->request_timeouts = ks->before.request_timeouts + ks->stats.request_timeouts;
	m->producers_recreated = ks->recreated;
	m->queue_depth = ks->stats.queue_msgs;
	m->queue_bytes = ks->stats.queue_bytes;
	m->connected_brokers = ks->stats.connected_brokers;
	m->spool_records = sp.records;
	m->spool_bytes = sp.bytes;
	m->spool_oldest_age_ns = spool_oldest_age_ns(ks, &sp);
}

struct json_object *kafka_sink__report(struct kafka_sink *ks)
{
	Hostmon__V1__KafkaSink m = HOSTMON__V1__KAFKA_SINK__INIT;

	kafka_sink__fill(ks, &m);
	return pbjson_object(&m.base, PBJSON_LINES);
}

rd_kafka_t *kafka_sink__producer(const struct kafka_sink *ks)
{
	return ks->rk;
}

void kafka_sink__window(struct kafka_sink *ks, struct record *rec, Hostmon__V1__KafkaSink *m)
{
	Hostmon__V1__DeliveryLatency *o = record__msg(rec, &hostmon__v1__delivery_latency__descriptor);

	if (o) {
		o->count = ks->lat_n;
		o->p50_ns = hist_quantile(ks->lat, ks->lat_n, 5000, ks->lat_max_ns);
		o->p95_ns = hist_quantile(ks->lat, ks->lat_n, 9500, ks->lat_max_ns);
		o->p99_ns = hist_quantile(ks->lat, ks->lat_n, 9900, ks->lat_max_ns);
		o->max_ns = ks->lat_max_ns;
	}
	m->delivery_latency = o;
	memset(ks->lat, 0, sizeof(ks->lat));
	ks->lat_n = ks->lat_max_ns = 0;
}
