/* Windows from cumulative kernel counters: per-key deltas and per-CPU sums. */
#ifndef HOSTMON_COUNTERS_H
#define HOSTMON_COUNTERS_H

#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

#define COUNTERS_KEY_MAX 64

struct counters;

/* Remembers the last value of counters keyed by key_size (<= COUNTERS_KEY_MAX) bytes. */
HM_MUST_CHECK
struct counters *counters__new(size_t key_size);
void counters__free(struct counters *c);
/*
 * The increase of key's counter since the last call, given its value now. A
 * key seen for the first time, or whose value went down (the kernel's LRU
 * evicted and re-added it), yields now. Returns now also when memory runs out
 * (counted in counters__errors).
 */
uint64_t counters__delta(struct counters *c, const void *key, uint64_t now);
uint64_t counters__errors(const struct counters *c);
/*
 * Forgets every key counters__delta was not called for since the previous
 * sweep: after a window that read every key of a kernel LRU map, the keys it
 * evicted, so memory stays bounded by the map's size.
 */
void counters__sweep(struct counters *c);

/*
 * Reads one element of a per-CPU map of u64 values into buf (one per possible
 * CPU) and stores their sum. Returns 0 or -errno.
 */
HM_MUST_CHECK
int counters_read_percpu(int map_fd, const void *key, uint64_t *buf, int ncpu, uint64_t *sum);

#endif /* HOSTMON_COUNTERS_H */
