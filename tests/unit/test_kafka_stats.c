/* librdkafka's statistics JSON (a document captured from librdkafka 2.0.2, trimmed) reduced to the agent's Kafka figures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sinks/kafka_stats.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = malloc(1 << 16);

	if (!f)
		fail_msg("cannot open %s", path);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

/* The captured document: one broker up, an idle queue, five records sent. */
static void captured_document(void **state)
{
	struct kafka_stats st;
	size_t len;
	char *doc = slurp(UNIT_DATA "/rdkafka-2.0.2-stats.json", &len);

	(void)state;
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(kafka_stats_parse(doc, len, &st), 0);
	assert_int_equal(st.queue_msgs, 0);
	assert_int_equal(st.queue_bytes, 0);
	assert_int_equal(st.connected_brokers, 1);
	assert_int_equal(st.retries, 0);
	assert_int_equal(st.request_timeouts, 0);
	free(doc);
}

/* Counters summed over brokers; only brokers in state UP count as connected. */
static void brokers_summed(void **state)
{
	static const char doc[] = "{\"msg_cnt\":42,\"msg_size\":4096,\"brokers\":{"
		"\"a:9092/1\":{\"state\":\"UP\",\"txretries\":3,\"req_timeouts\":1,\"txerrs\":2},"
		"\"b:9092/2\":{\"state\":\"CONNECT\",\"txretries\":4,\"req_timeouts\":5},"
		"\":0/internal\":{\"state\":\"INIT\"}}}";
	struct kafka_stats st;

	(void)state;
	assert_int_equal(kafka_stats_parse(doc, strlen(doc), &st), 0);
	assert_int_equal(st.queue_msgs, 42);
	assert_int_equal(st.queue_bytes, 4096);
	assert_int_equal(st.retries, 7);
	assert_int_equal(st.request_timeouts, 6);
	assert_int_equal(st.tx_errors, 2);
	assert_int_equal(st.connected_brokers, 1);
}

/* Not a statistics document: refused, the figures kept as they were. */
static void bad_documents_refused(void **state)
{
	static const char *const bad[] = {
		"", "[1,2]", "{\"brokers\":{}}", "{\"msg_cnt\":1,", "not json",
	};
	struct kafka_stats st = { .queue_msgs = 7 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(kafka_stats_parse(bad[i], strlen(bad[i]), &st), -EINVAL);
		assert_int_equal(st.queue_msgs, 7);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(captured_document),
		cmocka_unit_test(brokers_summed),
		cmocka_unit_test(bad_documents_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
