/*
 * kafka_admin BROKERS TOPIC PARTITIONS [NAME=VALUE...]: creates TOPIC with
 * that many partitions, replication factor 1 and the given topic configs
 * (e.g. max.message.bytes=64) through librdkafka's admin API, for tests on a
 * broker that does not create topics by itself. Exits 0 once the broker
 * answered that it was created, 1 with the broker's error otherwise.
 */
#include <stdio.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include "helpers.h"

static int set_configs(rd_kafka_NewTopic_t *nt, int argc, char **argv)
{
	char name[256], *eq;

	for (int i = 0; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(name)) {
			fprintf(stderr, "kafka_admin: %s: expected NAME=VALUE\n", argv[i]);
			return -1;
		}
		memcpy(name, argv[i], eq - argv[i]);
		name[eq - argv[i]] = '\0';
		if (rd_kafka_NewTopic_set_config(nt, name, eq + 1)) {
			fprintf(stderr, "kafka_admin: config %s refused\n", argv[i]);
			return -1;
		}
	}
	return 0;
}

/* Waits for the CreateTopics result: 0 when the topic was created. */
static int wait_result(rd_kafka_queue_t *q)
{
	const rd_kafka_CreateTopics_result_t *res;
	const rd_kafka_topic_result_t **topics;
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
	size_t n = 0;
	int ret = -1;

	if (!ev) {
		fprintf(stderr, "kafka_admin: no answer within 30 s\n");
		return -1;
	}
	res = rd_kafka_event_CreateTopics_result(ev);
	if (rd_kafka_event_error(ev))
		fprintf(stderr, "kafka_admin: %s\n", rd_kafka_event_error_string(ev));
	else if (res && (topics = rd_kafka_CreateTopics_result_topics(res, &n)) && n == 1 &&
		 rd_kafka_topic_result_error(topics[0]))
		fprintf(stderr, "kafka_admin: %s: %s\n", rd_kafka_topic_result_name(topics[0]),
			rd_kafka_topic_result_error_string(topics[0]));
	else
		ret = n == 1 ? 0 : -1;
	rd_kafka_event_destroy(ev);
	return ret;
}

int main(int argc, char **argv)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_NewTopic_t *nt;
	rd_kafka_queue_t *q;
	rd_kafka_t *rk;
	uint64_t parts;
	char err[512];
	int ret = 1;

	if (argc < 4 || parse_u64(argv[3], 1000, &parts) || !parts) {
		fprintf(stderr, "usage: kafka_admin BROKERS TOPIC PARTITIONS [NAME=VALUE...]\n");
		return 2;
	}
	if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof(err)) ||
	    !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err)))) {
		fprintf(stderr, "kafka_admin: %s\n", err);
		return 1;
	}
	nt = rd_kafka_NewTopic_new(argv[2], (int)parts, 1, err, sizeof(err));
	if (!nt) {
		fprintf(stderr, "kafka_admin: %s\n", err);
	} else if (!set_configs(nt, argc - 4, argv + 4)) {
		q = rd_kafka_queue_new(rk);
		rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
		ret = wait_result(q) ? 1 : 0;
		rd_kafka_queue_destroy(q);
	}
	if (nt)
		rd_kafka_NewTopic_destroy(nt);
	rd_kafka_destroy(rk);
	return ret;
}
