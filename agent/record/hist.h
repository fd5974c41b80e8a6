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
/*
 * The same over a coarser histogram whose bucket c merges the fine buckets
 * [c << shift, (c + 1) << shift): counts[HIST_BUCKETS >> shift]. The answer
 * is the middle of the coarse bucket (for shift 2, within 6.25% of any value
 * in it). shift 0 is hist_quantile.
 */
uint64_t hist_quantile_coarse(const uint64_t *counts, unsigned int shift, uint64_t total,
			      unsigned int q_bp, uint64_t max_ns);

/*
 * Upper bounds of the coarse latency buckets (Prometheus le=) of each
 * metrics row's "buckets": HIST_LE_COUNT counts, one per bound (calls
 * above the previous bound and at most this one), then one for the rest.
 */
#define HIST_LE_COUNT	22
extern const uint64_t hist_le_ns[HIST_LE_COUNT];

#endif /* HOSTMON_HIST_AGENT_H */
