/* Percentiles from a window's log-linear histogram (bucket math in bpf/histogram.h). */
#ifndef HOSTMON_HIST_AGENT_H
#define HOSTMON_HIST_AGENT_H

#include <linux/types.h>
#include <stdint.h>
#include "bpf/histogram.h"

/*
 * The quantile q_bp / 10000 (9500 is p95) by nearest rank (rank
 * ceil(q * total), 1-based)
 * of counts[HIST_BUCKETS]: the midpoint of the bucket holding that rank,
 * never above max_ns when max_ns > 0. Returns 0 when total is 0.
 */
uint64_t hist_quantile(const uint64_t *counts, uint64_t total, unsigned int q_bp,
		       uint64_t max_ns);

#endif /* HOSTMON_HIST_AGENT_H */
