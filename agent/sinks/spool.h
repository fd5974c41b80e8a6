/* The Kafka spool's segments: records kept on disk in append-only segment files until the broker acknowledges them; staged, committed, acknowledged, evicted oldest first. */
#ifndef HOSTMON_SPOOL_H
#define HOSTMON_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"
#include "sinks/spool_format.h"
#include "sinks/spool_stats.h"

/*
 * The spool keeps its records (spool_format.h) in segment files
 * (spool_segfile.h) in one directory; the reader's half is spool_reader.h.
 *
 * Which agent run wrote a record is not in the header: a segment is only ever
 * appended to by the spool that created it, and those found at open are only
 * read, acknowledged and deleted (or rewritten with records they held), so a
 * record read from one of them (SPOOL_REC_REPLAYED) is an earlier run's, and
 * any other is this run's.
 *
 * Records are staged in memory and written by spool__commit with one write()
 * per segment the batch touches. Only the last segment is ever appended to; a
 * segment is deleted when every record in it is acknowledged, or evicted whole
 * (oldest first) when the spool would exceed its byte bound.
 */
struct spool;

/*
 * Opens (creating) dir, keeping at most max_bytes in segments of about
 * segment_bytes. Existing segments are checked (each corrupt record logged
 * with file and offset, and counted) and kept for spool__replay; new records
 * go to a new segment after them. NULL with errno set.
 */
HM_MUST_CHECK
struct spool *spool__open(const char *dir, uint64_t max_bytes, uint64_t segment_bytes);
/*
 * Commits what is staged, then closes the spool; the segment being written is
 * deleted if all its records were acknowledged. A segment acknowledged in part
 * is rewritten without its acknowledged records when they were acknowledged
 * in order (the normal case: one partition, idempotent producer); otherwise it
 * stays whole and the next start sends those again. After a crash (no close)
 * they are always sent again.
 */
void spool__free(struct spool *sp);

/*
 * Stages a record in memory, to be written by the next spool__commit; *pos
 * (may be NULL) is where it will be. Room is made at once: the oldest
 * segments are evicted if the spool would exceed its bound, records still
 * staged in them included. Nothing is read back before it is committed.
 * 0, -EMSGSIZE (larger than the bound or SPOOL_RECORD_MAX) or -ENOMEM.
 */
HM_MUST_CHECK
int spool__stage(struct spool *sp, const struct spool_meta *meta, const void *payload,
		 uint32_t len, struct spool_pos *pos);
/*
 * Records spool__commit could not write, handed back (err: why) so that the
 * caller can still send them; they are no longer in the spool.
 */
typedef void (*spool_unwritten_fn)(void *ctx, const struct spool_record *rec, int err);
/*
 * Writes the staged records: one write() per segment they go to (not
 * fsync'd: a kill -9 loses none of them, a power cut may). From here on
 * spool__read returns them, from memory while its cursor is on this batch.
 * 0 (nothing staged included), or -errno with every record not written given
 * to unwritten (which may be NULL) and the segment left as it was before.
 */
HM_MUST_CHECK
int spool__commit(struct spool *sp, spool_unwritten_fn unwritten, void *ctx);
/* Stages and commits one record. 0 or -errno (the record not spooled). */
HM_MUST_CHECK
int spool__append(struct spool *sp, const struct spool_meta *meta, const void *payload,
		  uint32_t len, struct spool_pos *pos);

/*
 * The record at pos was delivered (or given up, counted by the caller); its
 * segment goes once all of them are. Acknowledging a record twice (it was
 * sent again after a failure and delivered twice) counts once.
 */
void spool__ack(struct spool *sp, const struct spool_pos *pos);

/* True while the record at pos is written and not acknowledged (nor evicted). */
bool spool__pending(const struct spool *sp, const struct spool_pos *pos);

void spool__stats(const struct spool *sp, struct spool_stats *out);

#endif /* HOSTMON_SPOOL_H */
