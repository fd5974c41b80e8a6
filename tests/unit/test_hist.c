/* Histogram bucket math (bpf/histogram.h) and percentile extraction (agent/record/hist.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "record/hist.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	/* xorshift64*: reproducible across runs. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static void small_values_have_exact_buckets(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < HIST_SUBS; v++) {
		assert_int_equal(hist_bucket(v), v);
		assert_int_equal(hist_bucket_low(v), v);
		assert_int_equal(hist_bucket_width(v), 1);
	}
}

static void log2_matches_clz(void **state)
{
	(void)state;
	for (int i = 0; i < 100000; i++) {
		uint64_t v = rng() >> (rng() % 64);

		if (!v)
			continue;
		assert_int_equal(hist_log2(v), 63 - __builtin_clzll(v));
	}
	assert_int_equal(hist_log2(1), 0);
	assert_int_equal(hist_log2(UINT64_MAX), 63);
}

/* Every value lies in its bucket, and no bucket is wider than 1/HIST_SUBS of its start. */
static void value_lies_in_its_narrow_bucket(void **state)
{
	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint64_t v = rng() >> (64 - 1 - rng() % HIST_MAX_POW);
		uint32_t b = hist_bucket(v);
		uint64_t low = hist_bucket_low(b), width = hist_bucket_width(b);

		assert_true(b < HIST_BUCKETS);
		assert_true(low <= v);
		assert_true(v < low + width);
		assert_true(width == 1 || width * HIST_SUBS <= low);
	}
}

static void buckets_are_contiguous_and_monotonic(void **state)
{
	(void)state;
	for (uint32_t b = 0; b + 1 < HIST_BUCKETS; b++) {
		assert_int_equal(hist_bucket_low(b) + hist_bucket_width(b), hist_bucket_low(b + 1));
		assert_int_equal(hist_bucket(hist_bucket_low(b)), b);
		assert_int_equal(hist_bucket(hist_bucket_low(b + 1) - 1), b);
	}
}

static void huge_values_share_the_last_bucket(void **state)
{
	(void)state;
	assert_int_equal(hist_bucket(1ULL << HIST_MAX_POW), HIST_BUCKETS - 1);
	assert_int_equal(hist_bucket(UINT64_MAX), HIST_BUCKETS - 1);
	assert_int_equal(hist_bucket((1ULL << HIST_MAX_POW) - 1), HIST_BUCKETS - 1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the ceil(q * n)-th smallest value, 1-based. */
static uint64_t exact_quantile(const uint64_t *sorted, size_t n, unsigned int q_bp)
{
	size_t rank = (n * q_bp + 9999) / 10000;

	return sorted[(rank ? rank : 1) - 1];
}

static void check_quantiles(uint64_t *values, size_t n)
{
	static const unsigned int qs[] = { 5000, 9000, 9500, 9900, 9990, 10000 };
	uint64_t *counts = calloc(HIST_BUCKETS, sizeof(*counts)), max = 0;

	assert_non_null(counts);
	for (size_t i = 0; i < n; i++) {
		counts[hist_bucket(values[i])]++;
		max = values[i] > max ? values[i] : max;
	}
	qsort(values, n, sizeof(*values), cmp_u64);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double exact = (double)exact_quantile(values, n, qs[i]);
		double got = (double)hist_quantile(counts, n, qs[i], max);

		if (fabs(got - exact) > 0.03 * exact)
			fail_msg("q=%u/10000 of %zu values: expected %.0f within 3%%, got %.0f",
				 qs[i], n, exact, got);
	}
	free(counts);
}

static void quantiles_within_3_percent_uniform(void **state)
{
	uint64_t values[20000];

	(void)state;
	for (int round = 0; round < 20; round++) {
		uint64_t lo = 1 + rng() % 100000, span = 1 + rng() % 50000000;

		for (size_t i = 0; i < 20000; i++)
			values[i] = lo + rng() % span;
		check_quantiles(values, 20000);
	}
}

static void quantiles_within_3_percent_long_tail(void **state)
{
	uint64_t values[20000];

	(void)state;
	for (int round = 0; round < 20; round++) {
		/* Log-uniform over 1 ns .. 10 s: every power of two populated. */
		for (size_t i = 0; i < 20000; i++)
			values[i] = (uint64_t)exp((double)(rng() % 1000000) / 1000000.0 * log(1e10));
		check_quantiles(values, 20000);
	}
}

static void quantiles_within_3_percent_small_samples(void **state)
{
	uint64_t values[37];

	(void)state;
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < 37; i++)
			values[i] = 1000 + rng() % 2000000;
		check_quantiles(values, 37);
	}
}

/*
 * A workload's coarse histogram (bpf/syscalls.h SC_CG_SHIFT: fine buckets
 * merged four at a time): every quantile within 6.25% of the exact one, over
 * the same spreads as the fine one.
 */
static void coarse_quantiles_within_6_25_percent(void **state)
{
	static const unsigned int qs[] = { 5000, 9500, 9900, 10000 };
	enum { N = 20000, SHIFT = 2 };
	static uint64_t values[N], counts[HIST_BUCKETS >> SHIFT];

	(void)state;
	for (int round = 0; round < 40; round++) {
		memset(counts, 0, sizeof(counts));
		for (size_t i = 0; i < N; i++) {
			values[i] = round % 2 ? 1 + rng() % 50000000 :
				    (uint64_t)exp((double)(rng() % 1000000) / 1000000.0 * log(1e10));
			counts[hist_bucket(values[i]) >> SHIFT]++;
		}
		qsort(values, N, sizeof(*values), cmp_u64);
		for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
			double exact = (double)exact_quantile(values, N, qs[i]);
			double got = (double)hist_quantile_coarse(counts, SHIFT, N, qs[i], 0);

			if (fabs(got - exact) > 0.0625 * exact)
				fail_msg("coarse q=%u/10000: expected %.0f within 6.25%%, got %.0f",
					 qs[i], exact, got);
		}
	}
}

static void quantile_of_nothing_is_zero(void **state)
{
	uint64_t counts[HIST_BUCKETS] = {};

	(void)state;
	assert_int_equal(hist_quantile(counts, 0, 9500, 0), 0);
}

static void quantile_never_exceeds_max(void **state)
{
	uint64_t counts[HIST_BUCKETS] = {};
	uint64_t v = 1000001;	/* low in a bucket 2^14 wide: the midpoint is above it */

	(void)state;
	counts[hist_bucket(v)] = 1;
	assert_int_equal(hist_quantile(counts, 1, 9900, v), v);
	counts[hist_bucket(7)] = 1;
	assert_int_equal(hist_quantile(counts, 2, 5000, v), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(small_values_have_exact_buckets),
		cmocka_unit_test(log2_matches_clz),
		cmocka_unit_test(value_lies_in_its_narrow_bucket),
		cmocka_unit_test(buckets_are_contiguous_and_monotonic),
		cmocka_unit_test(huge_values_share_the_last_bucket),
		cmocka_unit_test(quantiles_within_3_percent_uniform),
		cmocka_unit_test(quantiles_within_3_percent_long_tail),
		cmocka_unit_test(quantiles_within_3_percent_small_samples),
		cmocka_unit_test(coarse_quantiles_within_6_25_percent),
		cmocka_unit_test(quantile_of_nothing_is_zero),
		cmocka_unit_test(quantile_never_exceeds_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
