/*
 * sleeper N MIN_US MAX_US SEED: N raw clock_nanosleep calls of pseudo-random
 * durations in [MIN_US, MAX_US], each timed with CLOCK_MONOTONIC around the
 * call. Prints the p95 of those times in ns, nearest rank as hostmond defines
 * it: rank = ceil(0.95 * n), 1-based, on the sorted values.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || end == s || *end || s[0] == '-' || *out > max ? -1 : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: deterministic for a seed, good enough to spread durations. */
static uint64_t next_rand(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uint64_t n, min_us, max_us, seed, state, i, us, t0;
	struct timespec req;
	uint64_t *v;

	if (argc != 5 || parse_u64(argv[1], 10000000, &n) || n == 0 ||
	    parse_u64(argv[2], 60000000, &min_us) ||
	    parse_u64(argv[3], 60000000, &max_us) || max_us < min_us ||
	    parse_u64(argv[4], UINT64_MAX, &seed)) {
		fprintf(stderr, "usage: %s N MIN_US MAX_US SEED\n", argv[0]);
		return 2;
	}
	v = calloc(n, sizeof(*v));
	if (!v) {
		perror("sleeper: calloc");
		return 1;
	}
	state = seed ? seed : 1;
	for (i = 0; i < n; i++) {
		us = min_us + next_rand(&state) % (max_us - min_us + 1);
		req.tv_sec = us / 1000000;
		req.tv_nsec = (us % 1000000) * 1000;
		t0 = now_ns();
		if (syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL)) {
			perror("sleeper: clock_nanosleep");
			return 1;
		}
		v[i] = now_ns() - t0;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("%llu\n", (unsigned long long)v[(95 * n + 99) / 100 - 1]);
	free(v);
	return 0;
}
