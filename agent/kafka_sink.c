/* Kafka sink: packs records as envelopes and hands them to librdkafka; counts what the broker acknowledged and what was lost. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include "kafka_conf.h"
#include "kafka_sink.h"
#include "log.h"
#include "spool.h"

struct kafka_sink {
	rd_kafka_t *rk;
	rd_kafka_topic_t *topic;
	char *key;
	struct envelope_ids ids;
	struct spool *spool;	/* NULL: none */
	uint64_t delivered;
	uint64_t lost;
	uint64_t failures_logged;
	uint64_t spool_failures;
};

/* librdkafka's log lines (from its own threads) into the one logger. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (level <= 3)
		log_error("kafka", "%s: %s", fac, buf);
	else if (level <= 5)
		log_warn("kafka", "%s: %s", fac, buf);
	else if (level == 6)
		log_info("kafka", "%s: %s", fac, buf);
	else
		log_debug("kafka", "%s: %s", fac, buf);
}

/* Logs the 1st, 2nd, 4th, 8th, ... loss: always counted, never a flood. */
static void record_lost(struct kafka_sink *ks, const char *what, const char *why)
{
	ks->lost++;
	if (ks->lost & (ks->lost - 1))
		return;
	log_error("kafka", "%s to %s failed: %s (%llu records lost so far)", what,
		  rd_kafka_topic_name(ks->topic), why, (unsigned long long)ks->lost);
}

/*
 * A record's place in the spool rides in the message's opaque pointer, no
 * allocation: segment ids stay far below 2^40, a segment holds fewer than
 * 2^24 records. 0 (segment ids start at 1): not spooled.
 */
static void *pos_pack(const struct spool_pos *pos)
{
	return (void *)(uintptr_t)(pos->segment << 24 | pos->index);
}

static struct spool_pos pos_unpack(void *opaque)
{
	uint64_t v = (uintptr_t)opaque;

	return (struct spool_pos){ .segment = v >> 24, .index = v & 0xffffff };
}

/* Purged at shutdown: not delivered, not lost either while it stays in the spool. */
static bool purged(rd_kafka_resp_err_t err)
{
	return err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT ||
	       err == RD_KAFKA_RESP_ERR__DESTROY;
}

/*
 * Runs in kafka_sink__poll, on the event loop's thread. With a spool, message
 * timeouts are off: a failure here is permanent (too large, not authorized),
 * so the record leaves the spool counted lost rather than being replayed forever.
 */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	struct kafka_sink *ks = opaque;
	struct spool_pos pos = pos_unpack(msg->_private);

	(void)rk;
	if (msg->_private && purged(msg->err))
		return;
	if (msg->err)
		record_lost(ks, "delivery", rd_kafka_err2str(msg->err));
	else
		ks->delivered++;
	if (msg->_private)
		spool__ack(ks->spool, &pos);
}

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
		    size_t errlen)
{
	return rd_kafka_conf_set(conf, name, value, err, errlen) == RD_KAFKA_CONF_OK ? 0 : -EINVAL;
}

/*
 * Idempotent (which implies acks=all and in-order retries); the local queue
 * is bounded so a broker that is away costs at most 64 MiB before records
 * are counted lost. With a spool, records never time out (0: no limit).
 */
static rd_kafka_conf_t *producer_conf(struct kafka_sink *ks, const char *brokers,
				      const struct kafka_conf *kc, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	if (!conf)
		return NULL;
	if (conf_set(conf, "bootstrap.servers", brokers, err, errlen) ||
	    conf_set(conf, "enable.idempotence", "true", err, errlen) ||
	    conf_set(conf, "acks", "all", err, errlen) ||
	    conf_set(conf, "compression.codec", "lz4", err, errlen) ||
	    conf_set(conf, "linger.ms", "50", err, errlen) ||
	    conf_set(conf, "queue.buffering.max.kbytes", "65536", err, errlen) ||
	    conf_set(conf, "client.id", "hostmond", err, errlen) ||
	    (ks->spool && conf_set(conf, "message.timeout.ms", "0", err, errlen)) ||
	    kafka_conf_apply(kc, conf, err, errlen)) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_opaque(conf, ks);
	return conf;
}

/* Logs the 1st, 2nd, 4th, ... record the spool could not take. */
static void spool_failed(struct kafka_sink *ks, int err)
{
	ks->spool_failures++;
	if (ks->spool_failures & (ks->spool_failures - 1))
		return;
	log_error("kafka", "spooling a record failed: %s (%llu records sent unspooled so far)",
		  strerror(-err), (unsigned long long)ks->spool_failures);
}

/*
 * Hands buf to librdkafka, which frees it (RD_KAFKA_MSG_F_FREE). A record
 * the queue refuses is counted lost and, if spooled, leaves the spool: it
 * could only be sent out of order later.
 */
static int produce(struct kafka_sink *ks, uint8_t *buf, size_t len, const struct spool_pos *pos)
{
	rd_kafka_resp_err_t err;

	if (!rd_kafka_produce(ks->topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_FREE, buf, len,
			      ks->key, strlen(ks->key), pos ? pos_pack(pos) : NULL))
		return 0;
	err = rd_kafka_last_error();
	free(buf);
	record_lost(ks, "queueing a record", rd_kafka_err2str(err));
	if (pos)
		spool__ack(ks->spool, pos);
	return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? -ENOBUFS : -EIO;
}

static void replay_one(void *ctx, const uint8_t *payload, uint32_t len,
		       const struct spool_pos *pos)
{
	struct kafka_sink *ks = ctx;
	uint8_t *buf = malloc(len ? len : 1);

	if (!buf) {
		record_lost(ks, "replaying a spooled record", strerror(ENOMEM));
		spool__ack(ks->spool, pos);
		return;
	}
	memcpy(buf, payload, len);
	produce(ks, buf, len, pos);
	rd_kafka_poll(ks->rk, 0);
}

struct kafka_sink *kafka_sink__new(const char *brokers, const char *topic, const char *key,
				   const struct envelope_ids *ids, struct spool *spool,
				   const struct kafka_conf *kc, char *err, size_t errlen)
{
	struct kafka_sink *ks = calloc(1, sizeof(*ks));
	rd_kafka_conf_t *conf;

	if (ks)
		ks->spool = spool;
	if (!ks || !(ks->key = strdup(key)) || !(ks->ids.instance_id = strdup(ids->instance_id)) ||
	    !(ks->ids.agent_version = strdup(ids->agent_version))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	conf = producer_conf(ks, brokers, kc, err, errlen);
	if (!conf)
		goto fail;
	/* rd_kafka_new owns conf from here on, on success only. */
	ks->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
	if (!ks->rk) {
		rd_kafka_conf_destroy(conf);
		goto fail;
	}
	ks->topic = rd_kafka_topic_new(ks->rk, topic, NULL);
	if (!ks->topic) {
		snprintf(err, errlen, "topic %s: %s", topic, rd_kafka_err2str(rd_kafka_last_error()));
		goto fail;
	}
	if (spool && spool__replay(spool, replay_one, ks)) {
		snprintf(err, errlen, "replaying the spool: out of memory");
		goto fail;
	}
	return ks;
fail:
	kafka_sink__free(ks);
	errno = EINVAL;
	return NULL;
}

void kafka_sink__close(struct kafka_sink *ks, int timeout_ms)
{
	int left;

	if (!ks || !ks->rk)
		return;
	rd_kafka_flush(ks->rk, timeout_ms);
	left = rd_kafka_outq_len(ks->rk);
	if (left > 0 && ks->spool) {
		log_warn("kafka", "%d records not delivered to %s within %d ms: kept in the spool "
			 "for the next start", left, rd_kafka_topic_name(ks->topic), timeout_ms);
	} else if (left > 0) {
		ks->lost += (uint64_t)left;
		log_error("kafka", "%d records not delivered to %s within %d ms: lost", left,
			  rd_kafka_topic_name(ks->topic), timeout_ms);
	}
	log_info("kafka", "%llu records delivered, %llu lost", (unsigned long long)ks->delivered,
		 (unsigned long long)ks->lost);
}

void kafka_sink__free(struct kafka_sink *ks)
{
	if (!ks)
		return;
	if (ks->topic)
		rd_kafka_topic_destroy(ks->topic);
	if (ks->rk)
		rd_kafka_destroy(ks->rk);
	free(ks->key);
	free((char *)ks->ids.instance_id);
	free((char *)ks->ids.agent_version);
	free(ks);
}

int kafka_sink__write(struct kafka_sink *ks, struct json_object *rec)
{
	struct spool_pos pos;
	bool spooled = false;
	uint8_t *buf;
	size_t len;
	int err;

	err = envelope_pack(rec, &ks->ids, &buf, &len);
	if (err) {
		record_lost(ks, "encoding a record", strerror(-err));
		return err;
	}
	/* A record the spool cannot take still goes to Kafka, only without the safety net. */
	if (ks->spool) {
		err = spool__append(ks->spool, buf, len, &pos);
		spooled = !err;
		if (err)
			spool_failed(ks, err);
	}
	err = produce(ks, buf, len, spooled ? &pos : NULL);
	rd_kafka_poll(ks->rk, 0);
	return err;
}

void kafka_sink__poll(struct kafka_sink *ks)
{
	if (ks && ks->rk)
		rd_kafka_poll(ks->rk, 0);
}

uint64_t kafka_sink__delivered(const struct kafka_sink *ks)
{
	return ks ? ks->delivered : 0;
}

uint64_t kafka_sink__lost(const struct kafka_sink *ks)
{
	return ks ? ks->lost : 0;
}
