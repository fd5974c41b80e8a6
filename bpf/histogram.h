/* Log-linear latency histogram: bucket math shared by the BPF programs and hostmond. */
#ifndef HOSTMON_HISTOGRAM_H
#define HOSTMON_HISTOGRAM_H

/*
 * Values below 2^HIST_SUB_BITS get one bucket each (exact). Above, every power
 * of two [2^p, 2^(p+1)) is split into HIST_SUBS linear sub-buckets, so a
 * bucket is at most 1/HIST_SUBS (3.1%) of its lower bound wide and its
 * midpoint is within 1.6% of any value in it. Values of 2^HIST_MAX_POW ns
 * (68.7 s) and more share the last bucket.
 */
#define HIST_SUB_BITS	5
#define HIST_SUBS	(1U << HIST_SUB_BITS)
#define HIST_MAX_POW	36
#define HIST_BUCKETS	((HIST_MAX_POW - HIST_SUB_BITS + 1) * HIST_SUBS)

/* floor(log2(v)) for v > 0, without a clz instruction (BPF has none). */
static inline unsigned int hist_log2(__u64 v)
{
	unsigned int r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static inline __u32 hist_bucket(__u64 v)
{
	unsigned int p;

	if (v < HIST_SUBS)
		return (__u32)v;
	p = hist_log2(v);
	if (p >= HIST_MAX_POW)
		return HIST_BUCKETS - 1;
	return (p - HIST_SUB_BITS + 1) * HIST_SUBS +
	       (__u32)((v >> (p - HIST_SUB_BITS)) & (HIST_SUBS - 1));
}

/* Smallest value that falls in bucket b. */
static inline __u64 hist_bucket_low(__u32 b)
{
	__u32 group = b / HIST_SUBS, sub = b % HIST_SUBS;

	if (group == 0)
		return b;
	return (__u64)(HIST_SUBS + sub) << (group - 1);
}

/* Number of distinct values in bucket b. */
static inline __u64 hist_bucket_width(__u32 b)
{
	__u32 group = b / HIST_SUBS;

	return group == 0 ? 1 : 1ULL << (group - 1);
}

#endif /* HOSTMON_HISTOGRAM_H */
