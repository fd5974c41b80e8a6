/* Small pieces the test helpers share: strict number parsing, clocks, sorting, p95. */
#ifndef HOSTMON_TEST_HELPERS_H
#define HOSTMON_TEST_HELPERS_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || end == s || *end || s[0] == '-' || *out > max ? -1 : 0;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v and returns its p95 by nearest rank as hostmond defines it: rank ceil(0.95 n), 1-based. */
static inline uint64_t p95_u64(uint64_t *v, uint64_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(95 * n + 99) / 100 - 1];
}

#endif /* HOSTMON_TEST_HELPERS_H */
