/* The Kafka spool: records on disk in append-only segment files, each with a CRC, until the broker acknowledges them. */
#ifndef HOSTMON_SPOOL_H
#define HOSTMON_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

/*
 * A segment is dir/NNNNNNNNNNNNNNNNNNNN.seg (20-digit id, ids increase) and
 * holds records back to back, each a header and the payload. All integers
 * are little-endian. The current header ("HMS2", 32 bytes):
 *
 *   off size
 *     0   4  magic "HMS2"
 *     4   4  payload length (u32)
 *     8   4  CRC-32C (Castagnoli) of header bytes 0-7 and 12-31, then the payload
 *    12   4  kind (u32; hostmond writes enum flow_kind)
 *    16   8  seq (u64)
 *    24   8  ts_ns (u64)
 *    32      payload
 *
 * so a reader learns what a record is without decoding its payload. Segments
 * written before it (version 1, "HMS1", 12 bytes: magic, payload length, CRC32
 * of the payload alone) are still read, and a segment may hold both; a v1
 * record comes out with SPOOL_REC_V1 set and kind, seq and ts_ns 0 (the
 * payload is the only place they are).
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
#define SPOOL_MAGIC "HMS2"
#define SPOOL_HDR_LEN 32u
#define SPOOL_MAGIC_V1 "HMS1"
#define SPOOL_HDR_LEN_V1 12u
#define SPOOL_RECORD_MAX (16u << 20)

struct spool;

/* Where a record lives: the handle its acknowledgement passes back. */
struct spool_pos {
	uint64_t segment;
	uint32_t index;
};

/*
 * CRC-32C, chained as zlib's crc32 is (crc: the previous result, 0 to
 * start): HMS2's checksum, by the CPU's instruction where it has one. _soft:
 * the same by table, the path of CPUs without SSE4.2 (and of the tests).
 */
uint32_t spool_crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t spool_crc32c_soft(uint32_t crc, const void *buf, size_t len);

/* What the header says of a record besides its length and CRC. */
struct spool_meta {
	uint32_t kind;
	uint64_t seq;
	uint64_t ts_ns;
};

/* Read-side flags of a record. */
#define SPOOL_REC_REPLAYED	1u	/* in a segment found at open: an earlier run's */
#define SPOOL_REC_V1		2u	/* an "HMS1" record: meta unknown, all 0 */

/* A record as the spool hands it out. */
struct spool_record {
	const uint8_t *payload;
	uint32_t len;
	uint32_t size;		/* header and payload, as on disk */
	uint32_t flags;		/* SPOOL_REC_* */
	struct spool_meta meta;
	struct spool_pos pos;	/* zero from spool_parse */
};

/* Cumulative figures. */
struct spool_stats {
	uint64_t bytes;		/* on disk now, headers included */
	uint64_t records;	/* staged or written, and not yet acknowledged */
	uint64_t staged;	/* of which staged, not written yet */
	uint64_t segments;
	uint64_t evicted;	/* records deleted unsent because of the byte bound */
	uint64_t corrupt;	/* records skipped: bad header, CRC mismatch or truncated tail */
	uint64_t file_reads;	/* preads by spool__read: records not served from memory */
};

/*
 * Writes the SPOOL_HDR_LEN-byte header of a len-byte payload into hdr. Pure:
 * the format's one writer, shared with the unit tests.
 */
void spool_record_header(uint8_t hdr[SPOOL_HDR_LEN], const struct spool_meta *meta,
			 const void *payload, uint32_t len);

typedef void (*spool_record_fn)(void *ctx, const struct spool_record *rec, size_t offset);
typedef void (*spool_error_fn)(void *ctx, size_t offset, const char *why);

/*
 * Walks the records of a segment's bytes (either version, mixed): good ones
 * to on_record, each bad one to on_error with its offset. A CRC mismatch
 * skips that record only; a damaged header (bad magic, or a length past the
 * end) skips to the next intact record (magic, length and CRC all right), so
 * it too costs the damaged record only; a torn tail ends the walk. Returns
 * the number of good records.
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
 * Commits what is staged, then closes the spool; the segment being written is
 * deleted if all its records were acknowledged. A segment acknowledged in part
 * is rewritten without its acknowledged records when they were acknowledged
 * in order (the normal case: one partition, idempotent producer); otherwise it
 * stays whole and the next start sends those again. After a crash (no close)
 * they are always sent again.
 */
void spool__free(struct spool *sp);

/*
 * Calls fn for each good record of the segments found at open, in order,
 * with its position for spool__ack. Call once, before the first stage.
 */
typedef void (*spool_replay_fn)(void *ctx, const struct spool_record *rec);
HM_MUST_CHECK
int spool__replay(struct spool *sp, spool_replay_fn fn, void *ctx);

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
 * The first committed record at or after cur that is not acknowledged, into
 * *rec (with its position for spool__ack); cur is left on it (spool__advance
 * steps past it). rec->payload points into the spool's memory, valid until
 * the next call on the spool: the batch last committed while cur is on it,
 * else a read-ahead buffer filled a chunk at a time (CRC checked), so
 * neither an allocation nor a read per record. 0, -ENOENT when there is none
 * left (caught up), or -errno.
 */
HM_MUST_CHECK
int spool__read(struct spool *sp, struct spool_cursor *cur, struct spool_record *rec);
/* Steps cur past the record spool__read returned. */
void spool__advance(struct spool_cursor *cur, const struct spool_record *rec);

void spool__stats(const struct spool *sp, struct spool_stats *out);

#endif /* HOSTMON_SPOOL_H */
