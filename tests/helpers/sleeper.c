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
#include "helpers.h"

/* xorshift64*: deterministic for a seed, good enough to spread durations. */
static uint64_t next_rand(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ULL;
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
			free(v);
			return 1;
		}
		v[i] = now_ns() - t0;
	}
	printf("%llu\n", (unsigned long long)p95_u64(v, n));
	free(v);
	return 0;
}
