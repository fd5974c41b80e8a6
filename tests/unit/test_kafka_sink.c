/* The Kafka sink against librdkafka's mock cluster: a full queue backpressures into the spool, a fatal producer error loses nothing, a record too large is counted lost, the spool's oldest record has an age, an earlier run's records are not this one's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <fcntl.h>
#include <zlib.h>
#include <json-c/json.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include "config/kafka_conf.h"
#include "sinks/kafka_sink.h"
#include "record/record.h"
#include "sinks/spool.h"
#include "proto/hostmon.pb-c.h"

#define TOPIC "hostmon-unit"
/* More than the sink's librdkafka queue holds with a spool (10000). */
#define BACKLOG 12000

struct fixture {
	rd_kafka_t *mock_rk;	/* owns the mock cluster */
	rd_kafka_mock_cluster_t *mcluster;
	struct spool *spool;
	struct kafka_sink *ks;
	char dir[64];
};

static const struct kafka_conf no_props;	/* no [kafka] properties */

static const struct envelope_ids ids = {
	.instance_id = "5f0c2a9e-0c1d-4b6e-9a51-7f3e2b1c4d5e",
	.agent_version = "0.1.0",
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];

	strcpy(f->dir, "/tmp/test_kafka_sink.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!f->mock_rk)
		return -1;
	f->mcluster = rd_kafka_mock_cluster_new(f->mock_rk, 1);
	if (!f->mcluster || rd_kafka_mock_topic_create(f->mcluster, TOPIC, 1, 1))
		return -1;
	f->spool = spool__open(f->dir, 256 << 20, 16 << 20);
	if (!f->spool)
		return -1;
	f->ks = kafka_sink__new(rd_kafka_mock_cluster_bootstraps(f->mcluster), TOPIC, "host-1",
				&ids, f->spool, &no_props, err, sizeof(err));
	if (!f->ks) {
		fprintf(stderr, "kafka_sink__new: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[96];

	kafka_sink__free(f->ks);
	spool__free(f->spool);
	rd_kafka_mock_cluster_destroy(f->mcluster);
	rd_kafka_destroy(f->mock_rk);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	free(f);
	return system(cmd);
}

/* An agent_status record emitted at ts_ns (wall clock), as the pipeline hands it over. */
static void write_seq_at(struct kafka_sink *ks, uint64_t seq, uint64_t ts_ns, const char *reason)
{
	static struct record rec;
	Hostmon__V1__AgentStatus *m;

	record__reset(&rec, FLOW_AGENT_STATUS);
	m = &rec.ev.agent_status;
	m->state = HOSTMON__V1__AGENT_STATE__AGENT_STATE_RUNNING;
	m->reason = (char *)reason;
	rec.seq = rec.env.seq = seq;
	rec.ts_ns = rec.env.ts_ns = ts_ns;
	rec.env.host_id = "host-1";
	assert_int_equal(kafka_sink__write(ks, &rec), 0);
}

static void write_seq(struct kafka_sink *ks, uint64_t seq, const char *reason)
{
	write_seq_at(ks, seq, 0, reason);
}

static uint64_t report_u64(struct kafka_sink *ks, const char *key)
{
	struct json_object *r = kafka_sink__report(ks), *v;
	uint64_t n;

	assert_true(json_object_object_get_ex(r, key, &v));
	n = json_object_get_uint64(v);
	json_object_put(r);
	return n;
}

static uint64_t spooled(struct spool *sp)
{
	struct spool_stats st;

	spool__stats(sp, &st);
	return st.records;
}

/* Polls the sink until the spool is empty and want records are delivered (at most 60 s). */
static void wait_delivered(struct fixture *f, uint64_t want)
{
	time_t end = time(NULL) + 60;

	while (time(NULL) < end && (spooled(f->spool) || kafka_sink__delivered(f->ks) < want)) {
		kafka_sink__poll(f->ks);
		rd_kafka_poll(kafka_sink__producer(f->ks), 20);
	}
	if (spooled(f->spool) || kafka_sink__delivered(f->ks) < want)
		fail_msg("after 60 s: %llu delivered (want %llu), %llu still spooled",
			 (unsigned long long)kafka_sink__delivered(f->ks), (unsigned long long)want,
			 (unsigned long long)spooled(f->spool));
}

/*
 * The seqs of every message in the mock topic, in offset order, into seqs (n
 * of them); their timestamps (ms) into ts unless it is NULL.
 */
static size_t consume_seqs(struct fixture *f, uint64_t *seqs, int64_t *ts, size_t max)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_t *t;
	rd_kafka_message_t *m;
	Hostmon__V1__Envelope *env;
	char err[512];
	size_t n = 0;
	rd_kafka_t *rk;

	assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers",
					   rd_kafka_mock_cluster_bootstraps(f->mcluster), err,
					   sizeof(err)), RD_KAFKA_CONF_OK);
	assert_int_equal(rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof(err)),
			 RD_KAFKA_CONF_OK);
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	assert_non_null(rk);
	t = rd_kafka_topic_new(rk, TOPIC, NULL);
	assert_int_equal(rd_kafka_consume_start(t, 0, RD_KAFKA_OFFSET_BEGINNING), 0);
	for (;;) {
		m = rd_kafka_consume(t, 0, 10000);
		if (!m)
			fail_msg("consuming %s: nothing within 10 s after %zu messages", TOPIC, n);
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			rd_kafka_message_destroy(m);
			break;
		}
		if (m->err)
			fail_msg("consuming %s: %s", TOPIC, rd_kafka_message_errstr(m));
		env = hostmon__v1__envelope__unpack(NULL, m->len, m->payload);
		assert_non_null(env);
		assert_true(n < max);
		if (ts)
			ts[n] = rd_kafka_message_timestamp(m, NULL);
		seqs[n++] = env->seq;
		hostmon__v1__envelope__free_unpacked(env, NULL);
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consume_stop(t, 0);
	rd_kafka_topic_destroy(t);
	rd_kafka_destroy(rk);
	return n;
}

/*
 * The broker down and more records than librdkafka's queue takes: none is
 * lost, all stay spooled and the sink asks to be polled again; once the
 * broker is back every one arrives, once, in order.
 */
static void queue_full_backpressures_into_spool(void **state)
{
	struct fixture *f = *state;
	uint64_t *seqs = calloc(2 * BACKLOG, sizeof(*seqs));
	size_t n;

	assert_non_null(seqs);
	assert_int_equal(rd_kafka_mock_broker_set_down(f->mcluster, 1), 0);
	for (uint64_t i = 1; i <= BACKLOG; i++)
		write_seq(f->ks, i, "backlog");
	assert_int_equal(kafka_sink__lost(f->ks), 0);
	assert_int_equal(spooled(f->spool), BACKLOG);
	assert_true(kafka_sink__wait_ms(f->ks) > 0);	/* records wait for room */
	assert_int_equal(rd_kafka_mock_broker_set_up(f->mcluster, 1), 0);
	wait_delivered(f, BACKLOG);
	assert_int_equal(kafka_sink__delivered(f->ks), BACKLOG);
	assert_int_equal(kafka_sink__lost(f->ks), 0);
	assert_int_equal(kafka_sink__wait_ms(f->ks), -1);
	n = consume_seqs(f, seqs, NULL, 2 * BACKLOG);
	assert_int_equal(n, BACKLOG);
	for (size_t i = 0; i < n; i++)
		if (seqs[i] != i + 1)
			fail_msg("message %zu: expected seq %zu, got %llu", i, i + 1,
				 (unsigned long long)seqs[i]);
	free(seqs);
}

/*
 * A fatal error on the producer (as an idempotence sequence error raises
 * one): a new producer, every record delivered at least once, nothing lost,
 * the first delivery of each seq in order.
 */
static void fatal_error_recreates_producer_without_loss(void **state)
{
	struct fixture *f = *state;
	rd_kafka_t *before;	/* its address may be reused by the new one: not compared */
	uint64_t seqs[400], next = 1;
	size_t n;

	for (uint64_t i = 1; i <= 100; i++)
		write_seq(f->ks, i, "before");
	wait_delivered(f, 100);
	for (uint64_t i = 101; i <= 200; i++)
		write_seq(f->ks, i, "around");
	before = kafka_sink__producer(f->ks);
	assert_int_equal(rd_kafka_test_fatal_error(before, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
						   "unit test"), RD_KAFKA_RESP_ERR_NO_ERROR);
	kafka_sink__poll(f->ks);
	assert_int_equal(report_u64(f->ks, "producers_recreated"), 1);
	for (uint64_t i = 201; i <= 300; i++)
		write_seq(f->ks, i, "after");
	wait_delivered(f, 300);
	assert_int_equal(kafka_sink__lost(f->ks), 0);
	n = consume_seqs(f, seqs, NULL, 400);
	assert_true(n >= 300);
	for (size_t i = 0; i < n; i++) {
		if (seqs[i] == next)
			next++;
		else if (seqs[i] > next)
			fail_msg("message %zu: seq %llu before seq %llu", i,
				 (unsigned long long)seqs[i], (unsigned long long)next);
	}
	assert_int_equal(next, 301);
}

/* The broker refuses records as too large: each counted lost, gone from the spool, the stream goes on. */
static void too_large_counted_lost_and_stream_goes_on(void **state)
{
	struct fixture *f = *state;
	struct json_object *r, *v;

	rd_kafka_mock_push_request_errors(f->mcluster, 0 /* Produce */, 1,
					  RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
	write_seq(f->ks, 1, "refused");
	for (time_t end = time(NULL) + 30; time(NULL) < end && !kafka_sink__lost(f->ks);)
		rd_kafka_poll(kafka_sink__producer(f->ks), 20), kafka_sink__poll(f->ks);
	assert_int_equal(kafka_sink__lost(f->ks), 1);
	r = kafka_sink__report(f->ks);
	assert_true(json_object_object_get_ex(r, "state", &v));
	assert_string_equal(json_object_get_string(v), "error");
	assert_true(json_object_object_get_ex(r, "last_error", &v));
	assert_non_null(strstr(json_object_get_string(v), TOPIC));
	json_object_put(r);
	write_seq(f->ks, 2, "accepted");
	wait_delivered(f, 1);
	assert_int_equal(kafka_sink__lost(f->ks), 1);
}

/*
 * With the broker down the oldest spooled record is the first one written:
 * its age grows while it waits and is 0 once everything is acknowledged;
 * each acknowledged record counts out under its kind.
 */
static void spool_oldest_age_and_acked_by_kind(void **state)
{
	struct fixture *f = *state;
	struct timespec ts;
	uint64_t first, age, later;

	assert_int_equal(report_u64(f->ks, "spool_oldest_age_ns"), 0);
	assert_int_equal(rd_kafka_mock_broker_set_down(f->mcluster, 1), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	first = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	write_seq_at(f->ks, 1, first - 3000000000ULL, "old");	/* emitted 3 s ago */
	write_seq_at(f->ks, 2, first, "new");
	kafka_sink__commit(f->ks);	/* the end of a pass: the records are in the spool's files */
	age = report_u64(f->ks, "spool_oldest_age_ns");
	assert_true(age >= 3000000000ULL && age < 4000000000ULL);
	usleep(100000);
	later = report_u64(f->ks, "spool_oldest_age_ns");
	assert_true(later >= age + 100000000ULL && later < age + 1000000000ULL);
	assert_int_equal(kafka_sink__acked(f->ks, FLOW_AGENT_STATUS), 0);
	assert_int_equal(rd_kafka_mock_broker_set_up(f->mcluster, 1), 0);
	wait_delivered(f, 2);
	assert_int_equal(report_u64(f->ks, "spool_oldest_age_ns"), 0);
	assert_int_equal(kafka_sink__acked(f->ks, FLOW_AGENT_STATUS), 2);
	assert_int_equal(kafka_sink__acked(f->ks, FLOW_METRICS), 0);
}

/* An earlier run's agent_status record seq, emitted at ts_ns, as a packed envelope (malloc'd). */
static void earlier_envelope(uint64_t seq, uint64_t ts_ns, uint8_t **buf, size_t *len)
{
	Hostmon__V1__AgentStatus st = HOSTMON__V1__AGENT_STATUS__INIT;
	Hostmon__V1__Envelope env = HOSTMON__V1__ENVELOPE__INIT;

	env.instance_id = "0d7e1c3a-5b2f-4e8d-9c61-2a4f6b8d0e13";
	env.agent_version = "0.0.9";
	env.host_id = "host-1";
	env.seq = seq;
	env.ts_ns = ts_ns;
	env.event_case = HOSTMON__V1__ENVELOPE__EVENT_AGENT_STATUS;
	env.agent_status = &st;
	*len = hostmon__v1__envelope__get_packed_size(&env);
	*buf = malloc(*len);
	assert_non_null(*buf);
	hostmon__v1__envelope__pack(&env, *buf);
}

/* Segment 1 of dir in the "HMS1" layout older agents wrote: magic, length, CRC of the payload. */
static void write_v1_segment(const char *dir, const uint8_t *payload, size_t len)
{
	uint32_t crc = crc32(0L, payload, len);
	uint8_t hdr[12] = { 'H', 'M', 'S', '1', len, len >> 8, len >> 16, len >> 24,
			    crc, crc >> 8, crc >> 16, crc >> 24 };
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%020d.seg", dir, 1);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, hdr, sizeof(hdr)), sizeof(hdr));
	assert_int_equal(write(fd, payload, len), (ssize_t)len);
	close(fd);
}

/*
 * What an earlier run left in the spool (a v1 segment from before the
 * upgrade, then a v2 one) is delivered first but is not this instance's:
 * delivered_seq and the acknowledgements by kind count only this run's
 * records. The v1 record's message carries its envelope's ts_ns, read from
 * the envelope since its header has none.
 */
static void replayed_records_not_counted_as_this_instance(void **state)
{
	struct fixture *f = *state;
	struct spool_meta meta = { .kind = FLOW_AGENT_STATUS, .seq = 8, .ts_ns = 1700000002000000000ULL };
	uint64_t seqs[8];
	int64_t ts[8];
	char err[512];
	uint8_t *buf;
	size_t len;

	kafka_sink__free(f->ks);
	spool__free(f->spool);
	earlier_envelope(7, 1700000001000000000ULL, &buf, &len);
	write_v1_segment(f->dir, buf, len);
	free(buf);
	earlier_envelope(8, meta.ts_ns, &buf, &len);
	f->spool = spool__open(f->dir, 256 << 20, 16 << 20);
	assert_non_null(f->spool);
	assert_int_equal(spool__append(f->spool, &meta, buf, len, NULL), 0);
	free(buf);
	spool__free(f->spool);

	f->spool = spool__open(f->dir, 256 << 20, 16 << 20);
	assert_non_null(f->spool);
	f->ks = kafka_sink__new(rd_kafka_mock_cluster_bootstraps(f->mcluster), TOPIC, "host-1",
				&ids, f->spool, &no_props, err, sizeof(err));
	assert_non_null(f->ks);
	wait_delivered(f, 2);
	assert_int_equal(report_u64(f->ks, "delivered_seq"), 0);
	assert_int_equal(kafka_sink__acked(f->ks, FLOW_AGENT_STATUS), 0);
	write_seq(f->ks, 1, "this run");
	kafka_sink__commit(f->ks);
	wait_delivered(f, 3);
	assert_int_equal(report_u64(f->ks, "delivered_seq"), 1);
	assert_int_equal(kafka_sink__acked(f->ks, FLOW_AGENT_STATUS), 1);
	assert_int_equal(consume_seqs(f, seqs, ts, 8), 3);
	assert_int_equal(seqs[0], 7);
	assert_int_equal(seqs[1], 8);
	assert_int_equal(seqs[2], 1);
	assert_int_equal(ts[0], 1700000001000);
	assert_int_equal(ts[1], 1700000002000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(queue_full_backpressures_into_spool, setup, teardown),
		cmocka_unit_test_setup_teardown(fatal_error_recreates_producer_without_loss, setup,
						teardown),
		cmocka_unit_test_setup_teardown(too_large_counted_lost_and_stream_goes_on, setup,
						teardown),
		cmocka_unit_test_setup_teardown(spool_oldest_age_and_acked_by_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(replayed_records_not_counted_as_this_instance, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
