/* Kafka sink: packs records as envelopes and hands them to librdkafka; counts what the broker acknowledged and what was lost. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include "kafka_sink.h"
#include "log.h"

struct kafka_sink {
	rd_kafka_t *rk;
	rd_kafka_topic_t *topic;
	char *key;
	struct envelope_ids ids;
	uint64_t delivered;
	uint64_t lost;
	uint64_t failures_logged;
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

/* Runs in kafka_sink__poll, on the event loop's thread. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	struct kafka_sink *ks = opaque;

	(void)rk;
	if (msg->err)
		record_lost(ks, "delivery", rd_kafka_err2str(msg->err));
	else
		ks->delivered++;
}

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
		    size_t errlen)
{
	return rd_kafka_conf_set(conf, name, value, err, errlen) == RD_KAFKA_CONF_OK ? 0 : -EINVAL;
}

/*
 * Idempotent (which implies acks=all and in-order retries); the local queue
 * is bounded so a broker that is away costs at most 64 MiB before records
 * are counted lost.
 */
static rd_kafka_conf_t *producer_conf(struct kafka_sink *ks, const char *brokers, char *err,
				      size_t errlen)
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
	    conf_set(conf, "client.id", "hostmond", err, errlen)) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_opaque(conf, ks);
	return conf;
}

struct kafka_sink *kafka_sink__new(const char *brokers, const char *topic, const char *key,
				   const struct envelope_ids *ids, char *err, size_t errlen)
{
	struct kafka_sink *ks = calloc(1, sizeof(*ks));
	rd_kafka_conf_t *conf;

	if (!ks || !(ks->key = strdup(key)) || !(ks->ids.instance_id = strdup(ids->instance_id)) ||
	    !(ks->ids.agent_version = strdup(ids->agent_version))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	conf = producer_conf(ks, brokers, err, errlen);
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
	if (left > 0) {
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
	uint8_t *buf;
	size_t len;
	int err;

	err = envelope_pack(rec, &ks->ids, &buf, &len);
	if (err) {
		record_lost(ks, "encoding a record", strerror(-err));
		return err;
	}
	/* RD_KAFKA_MSG_F_FREE: librdkafka frees buf once it is done with it. */
	if (rd_kafka_produce(ks->topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_FREE, buf, len,
			     ks->key, strlen(ks->key), NULL)) {
		err = rd_kafka_last_error();
		free(buf);
		record_lost(ks, "queueing a record", rd_kafka_err2str(err));
		return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? -ENOBUFS : -EIO;
	}
	rd_kafka_poll(ks->rk, 0);
	return 0;
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
