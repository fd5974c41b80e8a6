/* The spool's record format: CRC-32C (instruction or table), the header writer, and the walk over a segment's bytes. */
#include <pthread.h>
#include <string.h>
#include <zlib.h>
#include "sinks/spool_format.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* The header length of the version whose magic starts p (4 bytes), 0 for none. */
static uint32_t header_len(const uint8_t *p)
{
	if (!memcmp(p, SPOOL_MAGIC, 4))
		return SPOOL_HDR_LEN;
	if (!memcmp(p, SPOOL_MAGIC_V1, 4))
		return SPOOL_HDR_LEN_V1;
	return 0;
}

/* CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), by table: the portable path. */
static uint32_t crc32c_table[256];
static pthread_once_t crc32c_made = PTHREAD_ONCE_INIT;

static void crc32c_make(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc32c_table[i] = c;
	}
}

uint32_t spool_format_crc32c_soft(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;

	pthread_once(&crc32c_made, crc32c_make);
	while (len--)
		c = crc32c_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

/* The SSE4.2 instruction (every x86-64 CPU since 2008): 8 bytes a step. */
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t c = ~crc, w;

	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return ~(uint32_t)c;
}

uint32_t spool_format_crc32c(uint32_t crc, const void *buf, size_t len)
{
	static int hw = -1;

	if (hw < 0)
		hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	return hw ? crc32c_sse42(crc, buf, len) : spool_format_crc32c_soft(crc, buf, len);
}

/*
 * The CRC a record's header carries: v1 zlib's crc32 of the payload; v2
 * CRC-32C of the header's fields, then the payload.
 */
static uint32_t record_crc(const uint8_t *hdr, uint32_t hdr_len, const void *payload, uint32_t len)
{
	uint32_t crc;

	/* zlib's crc32 of a NULL buffer is its initial value, whatever came before. */
	if (hdr_len == SPOOL_HDR_LEN_V1)
		return len ? crc32(0L, payload, len) : 0;
	crc = spool_format_crc32c(0, hdr, 8);
	crc = spool_format_crc32c(crc, hdr + 12, hdr_len - 12);
	return spool_format_crc32c(crc, payload, len);
}

void spool_format_header(uint8_t hdr[SPOOL_HDR_LEN], const struct spool_meta *meta,
			 const void *payload, uint32_t len)
{
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): 4 bytes, not a string */
	memcpy(hdr, SPOOL_MAGIC, 4);
	put_le32(hdr + 4, len);
	put_le32(hdr + 12, meta->kind);
	put_le64(hdr + 16, meta->seq);
	put_le64(hdr + 24, meta->ts_ns);
	put_le32(hdr + 8, record_crc(hdr, SPOOL_HDR_LEN, payload, len));
}

bool spool_format_header_at(const uint8_t *p, size_t avail, struct spool_record *rec)
{
	uint32_t hl = avail >= 4 ? header_len(p) : 0;

	if (!hl || avail < hl || get_le32(p + 4) > SPOOL_RECORD_MAX)
		return false;
	memset(rec, 0, sizeof(*rec));
	rec->len = get_le32(p + 4);
	rec->size = hl + rec->len;
	rec->payload = p + hl;
	if (hl == SPOOL_HDR_LEN_V1) {
		rec->flags = SPOOL_REC_V1;
	} else {
		rec->meta.kind = get_le32(p + 12);
		rec->meta.seq = get_le64(p + 16);
		rec->meta.ts_ns = get_le64(p + 24);
	}
	return true;
}

bool spool_format_crc_ok(const uint8_t *p, const struct spool_record *rec)
{
	return record_crc(p, rec->size - rec->len, rec->payload, rec->len) == get_le32(p + 8);
}

/* A whole, intact record at off: magic, a length inside the data, its CRC. */
static bool record_at(const uint8_t *data, size_t len, size_t off)
{
	struct spool_record rec;

	return spool_format_header_at(data + off, len - off, &rec) && rec.size <= len - off &&
	       spool_format_crc_ok(data + off, &rec);
}

/* The next intact record (of either version) after a damaged header at off, or len when none follows. */
static size_t resync(const uint8_t *data, size_t len, size_t off)
{
	const uint8_t *p;

	while (++off < len && (p = memmem(data + off, len - off, "HMS", 3))) {
		off = (size_t)(p - data);
		if (record_at(data, len, off))
			return off;
	}
	return len;
}

/*
 * The record at off into *rec: NULL when it is good, else what is wrong with
 * it; *next is where the walk goes on (len: it ends there).
 */
static const char *judge(const uint8_t *data, size_t len, size_t off, struct spool_record *rec,
			 size_t *next)
{
	uint32_t hl = len - off >= 4 ? header_len(data + off) : 0;

	if (len - off < SPOOL_HDR_LEN_V1 || len - off < hl) {
		*next = len;
		return "truncated record header";
	}
	if (!spool_format_header_at(data + off, len - off, rec) || rec->size > len - off) {
		/* A damaged header: whatever intact record follows is still good. */
		*next = resync(data, len, off);
		return *next == len ? "bad record header or truncated record, nothing intact after it"
				    : "bad record header, skipped to the next intact record";
	}
	*next = off + rec->size;
	return spool_format_crc_ok(data + off, rec) ? NULL : "CRC mismatch";
}

uint64_t spool_format_parse(const uint8_t *data, size_t len, spool_record_fn on_record,
			    spool_error_fn on_error, void *ctx)
{
	struct spool_record rec;
	const char *why;
	uint64_t good = 0;
	size_t off = 0, next;

	for (; off < len; off = next) {
		why = judge(data, len, off, &rec, &next);
		if (why && on_error)
			on_error(ctx, off, why);
		if (why)
			continue;
		if (on_record)
			on_record(ctx, &rec, off);
		good++;
	}
	return good;
}
