/* Percentile extraction from log-linear histograms. */
#include "hist.h"

uint64_t hist_quantile(const uint64_t *counts, uint64_t total, unsigned int q_bp,
		       uint64_t max_ns)
{
	uint64_t rank, seen = 0, mid;
	uint32_t b;

	if (total == 0)
		return 0;
	if (q_bp > 10000)
		q_bp = 10000;
	/* Integer ceil(q * total): no floating-point rounding at exact ranks. */
	rank = (total * q_bp + 9999) / 10000;
	if (rank < 1)
		rank = 1;
	for (b = 0; b < HIST_BUCKETS; b++) {
		seen += counts[b];
		if (seen >= rank)
			break;
	}
	if (b == HIST_BUCKETS)
		b = HIST_BUCKETS - 1;
	/* Widths are powers of two: the midpoint of [low, low + width). */
	mid = hist_bucket_low(b) + hist_bucket_width(b) / 2;
	return max_ns && mid > max_ns ? max_ns : mid;
}
