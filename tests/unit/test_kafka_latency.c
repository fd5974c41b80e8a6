/* The Kafka sink's delivery latency (agent/sinks/kafka_latency.c): a record's ts_ns to its acknowledgement, per window. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "sinks/kafka_latency.h"

#define NOW_NS	1800000000000000000ULL	/* a wall-clock time in 2027 */
#define MS	1000000ULL

/* Acknowledged now, its record made lat_ms ago. */
static void acked_after(struct kafka_latency *l, uint64_t lat_ms)
{
	kafka_latency_note(l, (int64_t)((NOW_NS - lat_ms * MS) / MS), true, NOW_NS);
}

/* got within pct % of want: the histogram's buckets are a few % wide. */
static void near(uint64_t got, uint64_t want, unsigned int pct)
{
	uint64_t d = got > want ? got - want : want - got;

	if (d * 100 > want * pct)
		fail_msg("%llu is not within %u%% of %llu", (unsigned long long)got, pct,
			 (unsigned long long)want);
}

/* 1..100 ms: 100 counted, p50 ~ 50 ms, p95 ~ 95 ms, p99 ~ 99 ms, max 100 ms exactly. */
static void test_window_percentiles_of_acknowledged_records(void **state)
{
	struct kafka_latency l = { 0 };
	Hostmon__V1__DeliveryLatency o = HOSTMON__V1__DELIVERY_LATENCY__INIT;

	(void)state;
	for (uint64_t ms = 100; ms >= 1; ms--)
		acked_after(&l, ms);
	kafka_latency_window(&l, &o);
	assert_int_equal(o.count, 100);
	assert_int_equal(o.max_ns, 100 * MS);
	near(o.p50_ns, 50 * MS, 7);
	near(o.p95_ns, 95 * MS, 7);
	near(o.p99_ns, 99 * MS, 7);
	assert_true(o.p50_ns <= o.p95_ns && o.p95_ns <= o.p99_ns && o.p99_ns <= o.max_ns);
}

/* A broker-stamped time, no time, or one in the future says nothing of the latency. */
static void test_times_that_say_nothing_are_not_counted(void **state)
{
	struct kafka_latency l = { 0 };
	Hostmon__V1__DeliveryLatency o = HOSTMON__V1__DELIVERY_LATENCY__INIT;

	(void)state;
	kafka_latency_note(&l, (int64_t)(NOW_NS / MS) - 5, false, NOW_NS);	/* LogAppendTime */
	kafka_latency_note(&l, 0, true, NOW_NS);
	kafka_latency_note(&l, -1, true, NOW_NS);
	kafka_latency_note(&l, (int64_t)(NOW_NS / MS) + 1, true, NOW_NS);	/* a clock ahead */
	acked_after(&l, 3);
	kafka_latency_window(&l, &o);
	assert_int_equal(o.count, 1);
	assert_int_equal(o.max_ns, 3 * MS);
}

/* Each window starts empty, even one whose figures went nowhere (NULL: no memory for them). */
static void test_next_window_starts_empty(void **state)
{
	struct kafka_latency l = { 0 };
	Hostmon__V1__DeliveryLatency o = HOSTMON__V1__DELIVERY_LATENCY__INIT;

	(void)state;
	acked_after(&l, 500);
	kafka_latency_window(&l, NULL);
	acked_after(&l, 2);
	kafka_latency_window(&l, &o);
	assert_int_equal(o.count, 1);
	assert_int_equal(o.max_ns, 2 * MS);
	near(o.p99_ns, 2 * MS, 7);
	kafka_latency_window(&l, &o);
	assert_int_equal(o.count, 0);
	assert_int_equal(o.max_ns, 0);
	assert_int_equal(o.p50_ns, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_percentiles_of_acknowledged_records),
		cmocka_unit_test(test_times_that_say_nothing_are_not_counted),
		cmocka_unit_test(test_next_window_starts_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
