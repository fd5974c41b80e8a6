/* The spool's on-disk record format: header layout (HMS2, and HMS1 still read), CRC-32C, writing a header, walking a segment's bytes. Pure: no I/O, no logging. */
#ifndef HOSTMON_SPOOL_FORMAT_H
#define HOSTMON_SPOOL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A segment is dir/NNNNNNNNNNNNNNNNNNNN.seg (20-digit id, ids increase; see
 * spool_segfile.h) and holds records back to back, each a header and the
 * payload. All integers are little-endian. The current header ("HMS2", 32
 * bytes):
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
 * so a reader learns what a record is without decoding its payload (for
 * hostmond, a hostmon.v1.Envelope: the Kafka message's value). Segments
 * written before it (version 1, "HMS1", 12 bytes: magic, payload length,
 * CRC32 of the payload alone) are still read, and a segment may hold both; a
 * v1 record comes out with SPOOL_REC_V1 set and kind, seq and ts_ns 0 (the
 * payload is the only place they are).
 */
#define SPOOL_MAGIC "HMS2"
#define SPOOL_HDR_LEN 32u
#define SPOOL_MAGIC_V1 "HMS1"
#define SPOOL_HDR_LEN_V1 12u
#define SPOOL_RECORD_MAX (16u << 20)

/* Where a record lives (segment id, good records before it there): the handle its acknowledgement passes back. */
struct spool_pos {
	uint64_t segment;
	uint32_t index;
};

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
	struct spool_pos pos;	/* zero from spool_format_parse */
};

/*
 * CRC-32C, chained as zlib's crc32 is (crc: the previous result, 0 to
 * start): HMS2's checksum, by the CPU's instruction where it has one. _soft:
 * the same by table, the path of CPUs without SSE4.2 (and of the tests).
 */
uint32_t spool_format_crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t spool_format_crc32c_soft(uint32_t crc, const void *buf, size_t len);

/* Writes the SPOOL_HDR_LEN-byte header of a len-byte payload into hdr: the format's one writer. */
void spool_format_header(uint8_t hdr[SPOOL_HDR_LEN], const struct spool_meta *meta,
			 const void *payload, uint32_t len);

/*
 * The header at p (avail bytes readable): true, with *rec filled but for its
 * position, when it is one (known magic, whole, length at most
 * SPOOL_RECORD_MAX). Whether the payload is there is the caller's to check,
 * and then its CRC, by spool_format_crc_ok.
 */
bool spool_format_header_at(const uint8_t *p, size_t avail, struct spool_record *rec);
/* The CRC in the header at p against the record spool_format_header_at found there. */
bool spool_format_crc_ok(const uint8_t *p, const struct spool_record *rec);

typedef void (*spool_record_fn)(void *ctx, const struct spool_record *rec, size_t offset);
typedef void (*spool_error_fn)(void *ctx, size_t offset, const char *why);

/*
 * Walks the records of a segment's bytes (either version, mixed): good ones
 * to on_record, each bad one to on_error with its offset (either may be NULL). A
 * CRC mismatch skips that record only; a damaged header (bad magic, or a
 * length past the end) skips to the next intact record (magic, length and
 * CRC all right), so it too costs the damaged record only; a torn tail ends
 * the walk. Returns the number of good records.
 */
uint64_t spool_format_parse(const uint8_t *data, size_t len, spool_record_fn on_record,
			    spool_error_fn on_error, void *ctx);

#endif /* HOSTMON_SPOOL_FORMAT_H */
