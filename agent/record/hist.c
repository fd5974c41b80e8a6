/* Percentile extraction from log-linear histograms. */
#include "record/hist.h"

uint64_t hist_quantile_coarse(const uint64_t *counts, unsigned int shift, uint64_t total,
			      unsigned int q_bp, uint64_t max_ns)
{
	uint32_t n = HIST_BUCKETS >> shift, b, first, last;
	uint64_t rank, seen = 0, mid;

	if (total == 0)
		return 0;
	if (q_bp > 10000)
		q_bp = 10000;
	/* Integer ceil(q * total): no floating-point rounding at exact ranks. */
	rank = (total * q_bp + 9999) / 10000;
	if (rank < 1)
		rank = 1;
	for (b = 0; b < n; b++) {
		seen += counts[b];
		if (seen >= rank)
			break;
	}
	if (b == n)
		b = n - 1;
	/* The fine buckets' widths are powers of two: the middle of [low, end). */
	first = b << shift;
	last = first + (1U << shift) - 1;
	mid = (hist_bucket_low(first) + hist_bucket_low(last) + hist_bucket_width(last)) / 2;
	return max_ns && mid > max_ns ? max_ns : mid;
}

uint64_t hist_quantile(const uint64_t *counts, uint64_t total, unsigned int q_bp,
		       uint64_t max_ns)
{
	return hist_quantile_coarse(counts, 0, total, q_bp, max_ns);
}

const uint64_t hist_le_ns[HIST_LE_COUNT] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000,
	250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000,
};
