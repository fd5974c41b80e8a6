/* libFuzzer target: arbitrary bytes as a spool segment (either format version),
 * walked by spool_format_parse and then found on disk by spool__open, replayed, read
 * with a cursor, appended to, acknowledged and closed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "sinks/spool.h"
#include "sinks/spool_format.h"
#include "sinks/spool_reader.h"

#define SEG_NAME	"00000000000000000007.seg"

static char dir[] = "/tmp/hostmon-fuzz-spool.XXXXXX";

struct walk {
	const uint8_t *data;
	size_t len;
	size_t next;		/* the lowest offset the next record may start at */
	uint64_t good, bad;
	uint64_t good_bytes;	/* headers and payloads of the good records */
	int fatal;		/* a walk-ending error was seen */
};

static void fail(const char *why, size_t offset)
{
	fprintf(stderr, "fuzz_spool: %s (offset %zu)\n", why, offset);
	abort();
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* The CRC the format asks for, computed here independently of the spool. */
static uint32_t crc_of(const uint8_t *rec, uint32_t hdr, uint32_t len)
{
	uint32_t crc;

	if (hdr != SPOOL_HDR_LEN)	/* v1: zlib's crc32 of the payload */
		return len ? (uint32_t)crc32(0L, rec + hdr, len) : 0;
	crc = spool_format_crc32c(0, rec, 8);
	crc = spool_format_crc32c(crc, rec + 12, hdr - 12);
	return spool_format_crc32c(crc, rec + hdr, len);
}

static void on_record(void *ctx, const struct spool_record *rec, size_t offset)
{
	struct walk *w = ctx;
	const uint8_t *at = w->data + offset;
	bool v1 = rec->flags & SPOOL_REC_V1;
	uint32_t hdr = v1 ? SPOOL_HDR_LEN_V1 : SPOOL_HDR_LEN;

	if (w->fatal || offset < w->next || offset + rec->size > w->len ||
	    rec->size != hdr + rec->len || rec->payload != at + hdr)
		fail("record out of order or past the end", offset);
	if (memcmp(at, v1 ? SPOOL_MAGIC_V1 : SPOOL_MAGIC, 4) || le(at + 4, 4) != rec->len)
		fail("record handed over with another header", offset);
	if (crc_of(at, hdr, rec->len) != le(at + 8, 4))
		fail("record handed over with a bad CRC", offset);
	if (v1 ? rec->meta.kind || rec->meta.seq || rec->meta.ts_ns :
	    rec->meta.kind != le(at + 12, 4) || rec->meta.seq != le(at + 16, 8) ||
	    rec->meta.ts_ns != le(at + 24, 8))
		fail("record handed over with meta not its header's", offset);
	w->next = offset + rec->size;
	w->good++;
	w->good_bytes += rec->size;
}

static void on_error(void *ctx, size_t offset, const char *why)
{
	struct walk *w = ctx;

	if (w->fatal || offset < w->next || offset >= w->len)
		fail("error after the end of the walk", offset);
	w->bad++;
	/* A torn tail ends the walk; a CRC mismatch or a damaged header with an intact record after it does not. */
	w->fatal = !strcmp(why, "truncated record header") || strstr(why, "nothing intact") != NULL;
	/* After a damaged header the walk resumes at a later intact record. */
	w->next = offset + (strcmp(why, "CRC mismatch") ? 1 : SPOOL_HDR_LEN_V1);
}

static void write_segment(const uint8_t *data, size_t size)
{
	char path[sizeof(dir) + sizeof(SEG_NAME) + 1];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, SEG_NAME);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd))
		fail("cannot write the segment", 0);
}

/* Leaves the temporary directory empty for the next input. */
static void empty_dir(void)
{
	char path[sizeof(dir) + 300];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		fail("cannot list the spool directory", 0);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
}

/* What a reader must agree on about a record. */
struct seen_rec {
	uint32_t len, crc, flags;
	struct spool_meta meta;
};

struct replay {
	struct spool *sp;
	uint64_t n;
	bool file;		/* a segment file was there at open */
	struct seen_rec *recs;	/* n of them */
	size_t cap;
	uint32_t last_len, last_crc;	/* the record the close must keep */
};

static struct seen_rec seen_of(const struct spool_record *rec)
{
	return (struct seen_rec){ .len = rec->len, .crc = crc32(0L, rec->payload, rec->len),
				  .flags = rec->flags, .meta = rec->meta };
}

static bool same(const struct seen_rec *a, const struct seen_rec *b)
{
	return a->len == b->len && a->crc == b->crc && a->flags == b->flags &&
	       a->meta.kind == b->meta.kind && a->meta.seq == b->meta.seq &&
	       a->meta.ts_ns == b->meta.ts_ns;
}

static void on_replay(void *ctx, const struct spool_record *rec)
{
	struct replay *r = ctx;

	if (rec->pos.segment != 7 || rec->pos.index != r->n || !(rec->flags & SPOOL_REC_REPLAYED))
		fail("replay positions not in order", rec->pos.index);
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->recs = realloc(r->recs, r->cap * sizeof(*r->recs));
		if (!r->recs)
			fail("out of memory", 0);
	}
	r->recs[r->n++] = seen_of(rec);
	r->last_len = rec->len;
	r->last_crc = crc32(0L, rec->payload, rec->len);
}

/* A cursor reads (from the file) what the replay handed over, in the same order. */
static void check_cursor(struct replay *r)
{
	struct spool_cursor cur = { 0 };
	struct spool_record rec;
	struct seen_rec got;
	uint64_t n = 0;
	int err;

	while (!(err = spool__read(r->sp, &cur, &rec))) {
		got = seen_of(&rec);
		if (n >= r->n || rec.pos.segment != 7 || rec.pos.index != n || !same(&got, &r->recs[n]))
			fail("the cursor read another record than the replay", n);
		spool__advance(&cur, &rec);
		n++;
	}
	if (err != -ENOENT || n != r->n)
		fail("the cursor did not read every record", n);
}

/* A record staged and committed after the found ones is read next, from memory, as staged. */
static void check_append(struct replay *r)
{
	struct spool_meta meta = { .kind = 3, .seq = r->n + 1, .ts_ns = 42 };
	struct spool_cursor cur = { 0 };
	struct spool_stats before, after;
	struct spool_record rec;
	struct spool_pos pos;

	/* After the found segment (7) if there was a file, else the first. */
	if (spool__stage(r->sp, &meta, "new", 3, &pos) || pos.segment != (r->file ? 8 : 1) ||
	    pos.index)
		fail("staging a record failed", 0);
	cur.segment = pos.segment;
	if (spool__read(r->sp, &cur, &rec) != -ENOENT || spool__commit(r->sp, NULL, NULL))
		fail("staging and committing a record failed", 0);
	spool__stats(r->sp, &before);
	if (spool__read(r->sp, &cur, &rec) || rec.len != 3 || memcmp(rec.payload, "new", 3) ||
	    rec.flags || rec.meta.seq != meta.seq || rec.meta.kind != 3 || rec.meta.ts_ns != 42)
		fail("the committed record did not come back as staged", 0);
	spool__stats(r->sp, &after);
	if (after.file_reads != before.file_reads)
		fail("the batch just committed was read from the file", 0);
	spool__ack(r->sp, &pos);
}

struct kept {
	uint64_t good, bad;
	uint32_t len, crc, flags;
};

static void on_kept(void *ctx, const struct spool_record *rec, size_t offset)
{
	struct kept *k = ctx;

	(void)offset;
	k->good++;
	k->len = rec->len;
	k->crc = crc32(0L, rec->payload, rec->len);
	k->flags = rec->flags;
}

static void on_kept_error(void *ctx, size_t offset, const char *why)
{
	(void)why;
	(void)offset;
	((struct kept *)ctx)->bad++;
}

/* A segment acknowledged in order but for its last record is rewritten to that record alone. */
static void check_compacted(const struct replay *r, size_t size)
{
	char path[sizeof(dir) + sizeof(SEG_NAME) + 1];
	uint8_t *buf = malloc(size + 1);	/* the rewrite is never longer than the input */
	struct kept k = { 0 };
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, SEG_NAME);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!buf || fd < 0)
		fail("the segment with an unacknowledged record is gone", 0);
	got = read(fd, buf, size + 1);
	close(fd);
	if (got < 0 || (size_t)got > size)
		fail("cannot read the compacted segment, or it grew", 0);
	spool_format_parse(buf, (size_t)got, on_kept, on_kept_error, &k);
	free(buf);
	/* Copied as it was: a v1 record stays v1. */
	if (k.good != 1 || k.bad || k.len != r->last_len || k.crc != r->last_crc ||
	    k.flags != (r->recs[r->n - 1].flags & SPOOL_REC_V1))
		fail("the compacted segment is not the unacknowledged record alone", (size_t)got);
}

static void check_spool(size_t size, const struct walk *w)
{
	struct replay r = { 0 };
	struct spool_stats st;
	struct spool_pos pos = { .segment = 7 };

	r.file = size > 0;
	r.sp = spool__open(dir, 1 << 20, 64 << 10);
	if (!r.sp)
		fail("spool__open failed on a readable directory", 0);
	spool__stats(r.sp, &st);
	/* A damaged segment is rewritten at open with its good records only. */
	if (st.records != w->good || st.corrupt != w->bad || st.segments != (w->good > 0) ||
	    st.bytes != (w->good ? (w->bad ? w->good_bytes : size) : 0))
		fail("open's figures differ from spool_format_parse's", 0);
	if (spool__replay(r.sp, on_replay, &r) || r.n != w->good)
		fail("replay did not hand over every good record", 0);
	check_cursor(&r);
	check_append(&r);
	/* Every record but the last, in order: the close keeps only that one. */
	for (pos.index = 0; pos.index + 1 < r.n; pos.index++)
		spool__ack(r.sp, &pos);
	spool__free(r.sp);
	if (r.n > 1)
		check_compacted(&r, size);
	free(r.recs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walk w = { .data = data, .len = size };
	uint64_t good;

	good = spool_format_parse(data, size, on_record, on_error, &w);
	if (good != w.good)
		fail("returned count differs from the records handed over", 0);
	/* No input, no file: open then lists an empty directory. */
	if (size)
		write_segment(data, size);
	check_spool(size, &w);
	empty_dir();
	return 0;
}

static void remove_dir(void)
{
	empty_dir();
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		fail("mkdtemp failed", 0);
	atexit(remove_dir);
	return 0;
}
