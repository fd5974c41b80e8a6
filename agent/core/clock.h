/* The agent's clocks: one clock in nanoseconds, and a kernel timestamp placed on the wall clock. */
#ifndef HOSTMON_CLOCK_H
#define HOSTMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * A bpf_ktime_get_ns() timestamp (CLOCK_MONOTONIC) as wall-clock ns, by the
 * offset between the two clocks now: exact to the microsecond unless the wall
 * clock was stepped between the event and now.
 */
static inline uint64_t clock_mono_to_wall(uint64_t mono_ns)
{
	uint64_t wall = clock_ns(CLOCK_REALTIME), mono = clock_ns(CLOCK_MONOTONIC);

	return mono_ns > mono ? wall : wall - (mono - mono_ns);
}

#endif /* HOSTMON_CLOCK_H */
