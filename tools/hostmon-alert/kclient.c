/* librdkafka configuration and set-up for hostmon-alert; see kclient.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "alog.h"
#include "kclient.h"

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	alog(level <= 3 ? ALOG_ERROR : level <= 4 ? ALOG_WARN : level <= 6 ? ALOG_INFO : ALOG_DEBUG,
	     "librdkafka", "%s: %s", fac, buf);
}

/* The defaults, then the configured NAME=VALUE properties over them. */
static rd_kafka_conf_t *conf_new(const struct service_cfg *cfg, const char *const *defaults)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512], *eq, name[256];

	rd_kafka_conf_set_log_cb(conf, log_cb);
	for (; *defaults; defaults += 2)
		if (rd_kafka_conf_set(conf, defaults[0], defaults[1], err, sizeof(err)))
			goto fail;
	if (rd_kafka_conf_set(conf, "bootstrap.servers", cfg->brokers, err, sizeof(err)))
		goto fail;
	for (int i = 0; i < cfg->nprops; i++) {
		eq = strchr(cfg->props[i], '=');
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - cfg->props[i]) : 0, cfg->props[i]);
		if (!eq || rd_kafka_conf_set(conf, name, eq + 1, err, sizeof(err)))
			goto fail;
	}
	return conf;
fail:
	alog(ALOG_ERROR, "kafka", "configuration: %s", err);
	rd_kafka_conf_destroy(conf);
	return NULL;
}

static rd_kafka_t *client_new(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
	char err[512];
	rd_kafka_t *rk;

	if (!conf)
		return NULL;
	rk = rd_kafka_new(type, conf, err, sizeof(err));
	if (!rk) {
		alog(ALOG_ERROR, "kafka", "client: %s", err);
		rd_kafka_conf_destroy(conf);
	}
	return rk;
}

rd_kafka_t *kclient_producer(const struct service_cfg *cfg, kclient_dr_fn dr, void *opaque)
{
	static const char *const defaults[] = {
		"client.id", "hostmon-alert", "enable.idempotence", "true", "acks", "all",
		"linger.ms", "5", "compression.codec", "lz4", NULL,
	};
	rd_kafka_conf_t *conf = conf_new(cfg, defaults);

	if (!conf)
		return NULL;
	rd_kafka_conf_set_dr_msg_cb(conf, dr);
	rd_kafka_conf_set_opaque(conf, opaque);
	return client_new(RD_KAFKA_PRODUCER, conf);
}

rd_kafka_t *kclient_consumer(const struct service_cfg *cfg, kclient_rebalance_fn cb, void *opaque)
{
	const char *const defaults[] = {
		"client.id", "hostmon-alert", "group.id", cfg->group_id,
		"enable.auto.commit", "false", "enable.auto.offset.store", "false",
		"enable.partition.eof", "true", "partition.assignment.strategy", "range",
		/* a replay point the broker no longer holds: from the oldest it has */
		"auto.offset.reset", "earliest",
		"session.timeout.ms", "10000", "heartbeat.interval.ms", "1000", NULL,
	};
	rd_kafka_conf_t *conf = conf_new(cfg, defaults);
	rd_kafka_t *rk;

	if (!conf)
		return NULL;
	rd_kafka_conf_set_rebalance_cb(conf, cb);
	rd_kafka_conf_set_opaque(conf, opaque);
	rk = client_new(RD_KAFKA_CONSUMER, conf);
	if (rk)
		rd_kafka_poll_set_consumer(rk);
	return rk;
}

/* Partitions of topic, -1 when the broker has none: asked of all topics, since a
 * request naming the topic would have the broker create it with its defaults. */
static int topic_partitions(rd_kafka_t *rk, const char *topic)
{
	const struct rd_kafka_metadata *md = NULL;
	int n = -1;

	if (rd_kafka_metadata(rk, 1, NULL, &md, 10000))
		return -1;
	for (int i = 0; i < md->topic_cnt; i++)
		if (!strcmp(md->topics[i].topic, topic) && !md->topics[i].err)
			n = md->topics[i].partition_cnt;
	rd_kafka_metadata_destroy(md);
	return n;
}

static int create_topic(rd_kafka_t *rk, const char *topic, int partitions)
{
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, NULL, 0);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	const rd_kafka_topic_result_t **res;
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
	rd_kafka_event_t *ev;
	size_t n = 0;

	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, 30000);
	if (ev && rd_kafka_event_CreateTopics_result(ev)) {
		res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
		err = rd_kafka_event_error(ev);
		if (!err && n == 1)
			err = rd_kafka_topic_result_error(res[0]);
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy(nt);
	if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
		alog(ALOG_ERROR, "kafka", "creating topic %s (%d partitions) failed: %s", topic, partitions,
		     rd_kafka_err2str(err));
		return -EIO;
	}
	return 0;
}

int kclient_ensure_topic(rd_kafka_t *rk, const char *topic, int partitions)
{
	int have = topic_partitions(rk, topic);

	if (have > 0)
		return 0;
	alog(ALOG_INFO, "kafka", "creating the internal topic %s with %d partitions", topic, partitions);
	if (create_topic(rk, topic, partitions))
		return -EIO;
	/* subscribing before the metadata shows every partition would leave some unread */
	for (int i = 0; i < 100 && topic_partitions(rk, topic) < partitions; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	return 0;
}

int kclient_subscribe(rd_kafka_t *rk, const char *events, const char *by_exe)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(2);
	rd_kafka_resp_err_t err;

	rd_kafka_topic_partition_list_add(list, events, RD_KAFKA_PARTITION_UA);
	rd_kafka_topic_partition_list_add(list, by_exe, RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(rk, list);
	rd_kafka_topic_partition_list_destroy(list);
	if (err) {
		alog(ALOG_ERROR, "kafka", "subscribing to %s and %s failed: %s", events, by_exe,
		     rd_kafka_err2str(err));
		return -EIO;
	}
	return 0;
}

int kclient_check_prop(const char *name, const char *value, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int ret = rd_kafka_conf_set(conf, name, value, err, errlen) == RD_KAFKA_CONF_OK ? 0 : -EINVAL;

	rd_kafka_conf_destroy(conf);
	return ret;
}
