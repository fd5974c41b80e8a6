/* The spool's cumulative figures, apart so that the spool's state (spool_state.h) holds them without including spool.h. */
#ifndef HOSTMON_SPOOL_STATS_H
#define HOSTMON_SPOOL_STATS_H

#include <stdint.h>

struct spool_stats {
	uint64_t bytes;		/* on disk now, headers included */
	uint64_t records;	/* staged or written, and not yet acknowledged */
	uint64_t staged;	/* of which staged, not written yet */
	uint64_t segments;
	uint64_t evicted;	/* records deleted unsent because of the byte bound */
	uint64_t corrupt;	/* records skipped: bad header, CRC mismatch or truncated tail */
	uint64_t file_reads;	/* preads by spool__read: records not served from memory */
};

#endif /* HOSTMON_SPOOL_STATS_H */
