/* The Kafka spool: records on disk in append-only segment files, each with a CRC32, until the broker acknowledges them. */
#ifndef HOSTMON_SPOOL_H
#define HOSTMON_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "compiler.h"

/*
 * A segment is dir/NNNNNNNNNNNNNNNNNNNN.seg (20-digit id, ids increase) and
 * holds records back to back, each a 12-byte header and the payload:
 *   magic "HMS1" (4 bytes), payload length (u32 LE), CRC32 of the payload
 *   (zlib crc32, u32 LE).
 * Only the last segment is ever appended to; a segment is deleted when every
 * record in it is acknowledged, or evicted whole (oldest first) when the
 * spool would exceed its byte bound.
 */
#define SPOOL_MAGIC "HMS1"
#define SPOOL_HDR_LEN 12u
#define SPOOL_RECORD_MAX (16u << 20)

struct spool;

/* Where a record lives: the handle its acknowledgement passes back. */
struct spool_pos {
	uint64_t segment;
	uint32_t index;
};

/* Cumulative figures. */
struct spool_stats {
	uint64_t bytes;		/* on disk now, headers included */
	uint64_t records;	/* spooled and not yet acknowledged */
	uint64_t segments;
	uint64_t evicted;	/* records deleted unsent because of the byte bound */
	uint64_t corrupt;	/* records skipped: bad header, CRC mismatch or truncated tail */
};

/*
 * Writes the header of a len-byte payload into hdr. Pure: the format's one
 * writer, shared with the unit tests.
 */
void spool_record_header(uint8_t hdr[SPOOL_HDR_LEN], const void *payload, uint32_t len);

typedef void (*spool_record_fn)(void *ctx, const uint8_t *payload, uint32_t len, size_t offset);
typedef void (*spool_error_fn)(void *ctx, size_t offset, const char *why);

/*
 * Walks the records of a segment's bytes: good ones to on_record, each bad
 * one to on_error with its offset. A CRC mismatch skips that record only; a
 * damaged header (bad magic, or a length past the end) skips to the next
 * intact record (magic, length and CRC all right), so it too costs the
 * damaged record only; a torn tail ends the walk. Returns the number of good
 * records.
 */
uint64_t spool_parse(const uint8_t *data, size_t len, spool_record_fn on_record,
		     spool_error_fn on_error, void *ctx);

/*
 * Opens (creating) dir, keeping at most max_bytes in segments of about
 * segment_bytes. Existing segments are checked (each corrupt record logged
 * with file and offset, and counted) and kept for spool__replay; new records
 * go to a new segment after them. NULL with errno set.
 */
HM_MUST_CHECK
struct spool *spool__open(const char *dir, uint64_t max_bytes, uint64_t segment_bytes);
/*
 * Closes the spool; the segment being written is deleted if all its records
 * were acknowledged. A segment acknowledged in part is rewritten without its
 * acknowledged records when they were acknowledged in order (the normal case:
 * one partition, idempotent producer); otherwise it stays whole and the next
 * start sends those again. After a crash (no close) they are always sent again.
 */
void spool__free(struct spool *sp);

/*
 * Calls fn for each good record of the segments found at open, in order,
 * with its position for spool__ack. Call once, before the first append.
 */
typedef void (*spool_replay_fn)(void *ctx, const uint8_t *payload, uint32_t len,
				const struct spool_pos *pos);
HM_MUST_CHECK
int spool__replay(struct spool *sp, spool_replay_fn fn, void *ctx);

/*
 * Appends a record (written to the file before returning, not fsync'd),
 * evicting the oldest segments first if it would not fit. 0 or -errno.
 */
HM_MUST_CHECK
int spool__append(struct spool *sp, const void *payload, uint32_t len, struct spool_pos *pos);

/*
 * The record at pos was delivered (or given up, counted by the caller); its
 * segment goes once all of them are. Acknowledging a record twice (it was
 * sent again after a failure and delivered twice) counts once.
 */
void spool__ack(struct spool *sp, const struct spool_pos *pos);

/* True while the record at pos is spooled and not acknowledged (nor evicted). */
bool spool__pending(const struct spool *sp, const struct spool_pos *pos);

/*
 * Where the producer reads next. A zeroed cursor is the oldest record; it
 * moves on by itself past evicted segments and acknowledged records.
 */
struct spool_cursor {
	uint64_t segment;
	uint32_t index;		/* good records before it in its segment */
	uint64_t offset;	/* bytes before it in its segment */
};

/*
 * The first record at or after cur that is not acknowledged, read from its
 * segment into a malloc'd *payload (the caller frees) with its position for
 * spool__ack; cur is left on it (spool__advance steps past it). One record
 * in memory at a time, whatever the backlog. 0, -ENOENT when there is none
 * left (caught up), or -errno.
 */
HM_MUST_CHECK
int spool__read(struct spool *sp, struct spool_cursor *cur, uint8_t **payload, uint32_t *len,
		struct spool_pos *pos);
/* Steps cur past the len-byte record spool__read returned. */
void spool__advance(struct spool_cursor *cur, uint32_t len);

void spool__stats(const struct spool *sp, struct spool_stats *out);

#endif /* HOSTMON_SPOOL_H */
