/* The spool's life cycle over its segments and its reader: ack and replay, eviction, damaged segments on disk, v1 segments after an upgrade, batches, the cursor, reads from memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>
#include "sinks/spool.h"
#include "sinks/spool_format.h"
#include "sinks/spool_reader.h"
#include "spool_seen.h"

static int count_segments(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strstr(de->d_name, ".seg") != NULL;
	closedir(d);
	return n;
}

static void append(struct spool *sp, const char *s, struct spool_pos *pos)
{
	struct spool_meta m = meta_of(strlen(s));

	assert_int_equal(spool__append(sp, &m, s, strlen(s), pos), 0);
}

/* Reopens the spool and checks what it replays: n records, first ... last. */
static void assert_replays(uint64_t max_bytes, uint64_t segment_bytes, int n, const char *first,
			   const char *last)
{
	struct spool *sp = spool__open(dir, max_bytes, segment_bytes);
	struct seen s = { 0 };

	assert_non_null(sp);
	assert_int_equal(spool__replay(sp, on_replay, &s), 0);
	assert_int_equal(s.n, n);
	assert_string_equal(s.payload[0], first);
	assert_string_equal(s.payload[n - 1], last);
	spool__free(sp);
}

/* Written, reopened, replayed in order with positions; acking all deletes the segments. */
static void test_spool_replay_after_reopen(void **state)
{
	/* 9-byte records: one per segment, but "new" and "newer" share one */
	uint64_t seg = 2 * (SPOOL_HDR_LEN + 8);
	struct spool *sp = spool__open(dir, 1 << 20, seg);
	struct spool_stats st;
	struct seen s = { 0 };
	char rec[16];
	int i;

	(void)state;
	assert_non_null(sp);
	for (i = 0; i < 10; i++) {
		snprintf(rec, sizeof(rec), "record-%02d", i);
		append(sp, rec, NULL);
	}
	spool__free(sp);
	assert_int_equal(count_segments(), 10);

	sp = spool__open(dir, 1 << 20, seg);
	assert_non_null(sp);
	spool__stats(sp, &st);
	assert_int_equal(st.records, 10);
	assert_int_equal(st.corrupt, 0);
	assert_int_equal(spool__replay(sp, on_replay, &s), 0);
	assert_int_equal(s.n, 10);
	for (i = 0; i < 10; i++) {
		snprintf(rec, sizeof(rec), "record-%02d", i);
		assert_string_equal(s.payload[i], rec);
	}
	append(sp, "new", NULL);
	for (i = 9; i >= 0; i--) /* acks in any order */
		spool__ack(sp, &s.pos[i]);
	assert_int_equal(count_segments(), 1); /* the one being written */
	spool__stats(sp, &st);
	assert_int_equal(st.records, 1);
	s.n = 0;
	append(sp, "newer", &s.pos[0]);
	spool__free(sp);
	assert_int_equal(count_segments(), 1); /* "new" and "newer" not acknowledged */

	sp = spool__open(dir, 1 << 20, seg);
	assert_int_equal(spool__replay(sp, on_replay, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.payload[1], "newer");
	spool__ack(sp, &s.pos[0]);
	spool__ack(sp, &s.pos[1]);
	assert_int_equal(count_segments(), 0);
	append(sp, "last", &s.pos[2]);
	spool__ack(sp, &s.pos[2]);
	assert_int_equal(count_segments(), 1); /* still being written */
	spool__free(sp);
	assert_int_equal(count_segments(), 0); /* sealed, all acknowledged: gone */
}

/* Over max_bytes the oldest segment goes whole; its unacked records are counted. */
static void test_spool_overflow_evicts_oldest(void **state)
{
	uint64_t rec = SPOOL_HDR_LEN + 4; /* "r-NN" */
	struct spool *sp = spool__open(dir, 10 * rec, 2 * rec);
	struct spool_pos first;
	struct spool_stats st;
	char buf[8];
	int i;

	(void)state;
	assert_non_null(sp);
	for (i = 0; i < 10; i++) {
		snprintf(buf, sizeof(buf), "r-%02d", i);
		append(sp, buf, i == 0 ? &first : NULL);
	}
	spool__stats(sp, &st);
	assert_int_equal(st.evicted, 0);
	assert_int_equal(st.bytes, 10 * rec);
	spool__ack(sp, &first); /* r-00 delivered: one of two in its segment */
	append(sp, "r-10", NULL);
	spool__stats(sp, &st);
	assert_int_equal(st.evicted, 1); /* r-01 only */
	assert_int_equal(st.records, 9);
	assert_true(st.bytes <= 10 * rec);
	spool__free(sp);
	assert_replays(10 * rec, 2 * rec, 9, "r-02", "r-10");
}

/* A damaged file on disk: skipped records counted, the rest replayed, no crash. */
static void test_spool_corrupt_segment_on_disk(void **state)
{
	struct spool *sp = spool__open(dir, 1 << 20, 1 << 20);
	struct spool_stats st;
	struct seen s = { 0 };
	char path[128];
	int fd;

	(void)state;
	append(sp, "one", NULL);
	append(sp, "two", NULL);
	append(sp, "three", NULL);
	spool__free(sp);
	snprintf(path, sizeof(path), "%s/%020d.seg", dir, 1);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, SPOOL_HDR_LEN), 1);		/* "one" -> "Xne" */
	assert_int_equal(ftruncate(fd, 3 * SPOOL_HDR_LEN + 6 + 2), 0);	/* "three" cut */
	close(fd);

	sp = spool__open(dir, 1 << 20, 1 << 20);
	assert_non_null(sp);
	spool__stats(sp, &st);
	assert_int_equal(st.corrupt, 2);
	assert_int_equal(st.records, 1);
	assert_int_equal(spool__replay(sp, on_replay, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.payload[0], "two");
	spool__free(sp);
}

/* Closing drops an in-order acknowledged prefix; out-of-order acks leave the segment whole. */
static void test_spool_close_drops_acked_prefix(void **state)
{
	struct spool_pos pos[3];
	struct spool *sp = spool__open(dir, 1 << 20, 1 << 20);
	struct seen s = { 0 }, t = { 0 };

	(void)state;
	append(sp, "one", &pos[0]);
	append(sp, "two", &pos[1]);
	append(sp, "three", &pos[2]);
	spool__ack(sp, &pos[0]);
	spool__ack(sp, &pos[1]);
	spool__free(sp);

	sp = spool__open(dir, 1 << 20, 1 << 20);
	assert_int_equal(spool__replay(sp, on_replay, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.payload[0], "three");
	append(sp, "four", &pos[0]);
	append(sp, "five", &pos[1]);
	spool__ack(sp, &pos[1]); /* "five" before "four": not a prefix */
	spool__free(sp);

	sp = spool__open(dir, 1 << 20, 1 << 20);
	assert_int_equal(spool__replay(sp, on_replay, &t), 0);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.payload[0], "three");
	assert_string_equal(t.payload[1], "four");
	assert_string_equal(t.payload[2], "five");
	spool__free(sp);
}

/* Reads the record at cur into out (NUL-terminated) and steps past it; -ENOENT at the end. */
static int read_next(struct spool *sp, struct spool_cursor *cur, char *out, struct spool_pos *pos)
{
	struct spool_record rec;
	int err = spool__read(sp, cur, &rec);

	if (err)
		return err;
	assert_true(rec.len < 64);
	memcpy(out, rec.payload, rec.len);
	out[rec.len] = '\0';
	if (pos)
		*pos = rec.pos;
	spool__advance(cur, &rec);
	return 0;
}

/* The cursor reads across segments in order, stops at the end and resumes when more is appended. */
static void test_cursor_reads_in_order_across_segments(void **state)
{
	struct spool *sp = spool__open(dir, 1 << 20, 40);
	struct spool_cursor cur = { 0 };
	struct spool_pos pos;
	char rec[16], got[64];
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(rec, sizeof(rec), "rec-%d", i);
		append(sp, rec, NULL);
	}
	assert_true(count_segments() > 1);
	for (i = 0; i < 5; i++) {
		snprintf(rec, sizeof(rec), "rec-%d", i);
		assert_int_equal(read_next(sp, &cur, got, &pos), 0);
		assert_string_equal(got, rec);
	}
	assert_int_equal(read_next(sp, &cur, got, NULL), -ENOENT);
	append(sp, "late", NULL);
	assert_int_equal(read_next(sp, &cur, got, NULL), 0);
	assert_string_equal(got, "late");
	assert_int_equal(read_next(sp, &cur, got, NULL), -ENOENT);
	spool__free(sp);
}

/* A cursor back at the start skips what was acknowledged; an ack repeated counts once. */
static void test_cursor_rewind_skips_acked_and_double_ack_counts_once(void **state)
{
	struct spool *sp = spool__open(dir, 1 << 20, 1 << 20);
	struct spool_cursor cur = { 0 };
	struct spool_pos pos[3];
	struct spool_stats st;
	char got[64];

	(void)state;
	append(sp, "one", &pos[0]);
	append(sp, "two", &pos[1]);
	append(sp, "three", &pos[2]);
	assert_true(spool__pending(sp, &pos[1]));
	spool__ack(sp, &pos[1]);
	spool__ack(sp, &pos[1]);
	assert_false(spool__pending(sp, &pos[1]));
	assert_true(spool__pending(sp, &pos[0]));
	spool__stats(sp, &st);
	assert_int_equal(st.records, 2);
	assert_int_equal(read_next(sp, &cur, got, NULL), 0);
	assert_string_equal(got, "one");
	assert_int_equal(read_next(sp, &cur, got, NULL), 0);
	assert_string_equal(got, "three");
	assert_int_equal(read_next(sp, &cur, got, NULL), -ENOENT);
	memset(&cur, 0, sizeof(cur));
	spool__ack(sp, &pos[0]);
	assert_int_equal(read_next(sp, &cur, got, NULL), 0);
	assert_string_equal(got, "three");
	spool__stats(sp, &st);
	assert_int_equal(st.records, 1);
	spool__free(sp);
}

/* A segment evicted under the cursor: it moves on to the oldest record left. */
static void test_cursor_moves_past_evicted_segment(void **state)
{
	uint64_t rec = SPOOL_HDR_LEN + 4;
	struct spool *sp = spool__open(dir, 4 * rec, 2 * rec);
	struct spool_cursor cur = { 0 };
	char buf[8], got[64];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(buf, sizeof(buf), "r-%02d", i);
		append(sp, buf, NULL);
	}
	assert_int_equal(read_next(sp, &cur, got, NULL), 0);
	assert_string_equal(got, "r-00");
	append(sp, "r-04", NULL);	/* evicts r-00 and r-01 */
	assert_false(spool__pending(sp, &(struct spool_pos){ .segment = 1, .index = 0 }));
	assert_int_equal(read_next(sp, &cur, got, NULL), 0);
	assert_string_equal(got, "r-02");
	spool__free(sp);
}

/* A record with a bad CRC in a segment found at open is skipped by the cursor too. */
/*
 * Spools the records (NULL-terminated) in one segment, closes the spool and
 * writes an 'X' at offset off of that segment; path gets its name.
 */
static void spool_and_damage(const char *const *recs, off_t off, char *path, size_t pathlen)
{
	struct spool *sp = spool__open(dir, 1 << 20, 1 << 20);
	int fd;

	for (; *recs; recs++)
		append(sp, *recs, NULL);
	spool__free(sp);
	snprintf(path, pathlen, "%s/%020d.seg", dir, 1);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, off), 1);
	close(fd);
}

static void test_cursor_skips_crc_mismatch(void **state)
{
	static const char *const recs[] = { "one", "two", NULL };
	struct spool *sp;
	struct spool_cursor cur = { 0 };
	struct spool_pos pos;
	char path[128], got[64];

	(void)state;
	spool_and_damage(recs, SPOOL_HDR_LEN, path, sizeof(path));
	sp = spool__open(dir, 1 << 20, 1 << 20);
	assert_int_equal(read_next(sp, &cur, got, &pos), 0);
	assert_string_equal(got, "two");
	assert_int_equal(pos.index, 0);
	assert_int_equal(read_next(sp, &cur, got, NULL), -ENOENT);
	spool__free(sp);
}

/*
 * A damaged header in the middle of a found segment costs that record only:
 * counted, the segment rewritten with its intact records, which the cursor
 * then reads in order; acknowledging them all deletes the segment.
 */
static void test_cursor_reads_past_a_damaged_header(void **state)
{
	static const char *const recs[] = { "one", "two", "three", NULL };
	struct spool *sp;
	struct spool_cursor cur = { 0 };
	struct spool_pos pos[2];
	struct spool_stats st;
	struct stat sb;
	char path[128], got[64];

	(void)state;
	spool_and_damage(recs, SPOOL_HDR_LEN + 3 + 1, path, sizeof(path));	/* "HMS2" of "two" */
	sp = spool__open(dir, 1 << 20, 1 << 20);
	spool__stats(sp, &st);
	assert_int_equal(st.corrupt, 1);
	assert_int_equal(st.records, 2);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 2 * SPOOL_HDR_LEN + 3 + 5);
	assert_int_equal(st.bytes, sb.st_size);
	assert_int_equal(read_next(sp, &cur, got, &pos[0]), 0);
	assert_string_equal(got, "one");
	assert_int_equal(read_next(sp, &cur, got, &pos[1]), 0);
	assert_string_equal(got, "three");
	assert_int_equal(read_next(sp, &cur, got, NULL), -ENOENT);
	spool__ack(sp, &pos[0]);
	spool__ack(sp, &pos[1]);
	spool__stats(sp, &st);
	assert_int_equal(st.records, 0);
	spool__free(sp);
	assert_int_equal(stat(path, &sb), -1);
}

/* Writes segment id of dir with len bytes of data. */
static void write_segment(uint64_t id, const uint8_t *data, size_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%020llu.seg", dir, (unsigned long long)id);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* The size of segment id's file, -1 when there is none. */
static off_t segment_size(uint64_t id)
{
	char path[128];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%020llu.seg", dir, (unsigned long long)id);
	return stat(path, &sb) ? -1 : sb.st_size;
}

/* Reads every record left into s (payload, meta, flags, position); returns how many. */
static int read_all(struct spool *sp, struct spool_cursor *cur, struct seen *s)
{
	struct spool_record rec;
	int err;

	while (!(err = spool__read(sp, cur, &rec))) {
		s->pos[s->n] = rec.pos;
		on_record(s, &rec, 0);
		spool__advance(cur, &rec);
	}
	assert_int_equal(err, -ENOENT);
	return s->n;
}

/*
 * A v1 segment an older agent left is read after the upgrade: payloads as
 * written, flagged v1 and replayed, meta 0; acknowledged, it goes.
 */
static void test_v1_segment_read_after_upgrade(void **state)
{
	static const char *const recs[] = { "old-a", "old-bb", "old-ccc" };
	struct spool_cursor cur = { 0 };
	struct spool_stats st;
	struct seen s = { 0 };
	struct spool *sp;
	uint8_t buf[128];
	size_t len = 0;

	(void)state;
	for (int i = 0; i < 3; i++)
		len += v1_record(buf + len, recs[i]);
	write_segment(1, buf, len);
	sp = spool__open(dir, 1 << 20, 1 << 20);
	assert_non_null(sp);
	spool__stats(sp, &st);
	assert_int_equal(st.records, 3);
	assert_int_equal(st.corrupt, 0);
	assert_int_equal(st.bytes, len);
	assert_int_equal(read_all(sp, &cur, &s), 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(s.payload[i], recs[i]);
		assert_int_equal(s.flags[i], SPOOL_REC_V1 | SPOOL_REC_REPLAYED);
		assert_int_equal(s.meta[i].kind, 0);
		assert_int_equal(s.meta[i].seq, 0);
		assert_int_equal(s.meta[i].ts_ns, 0);
		assert_int_equal(s.pos[i].segment, 1);
		assert_int_equal(s.pos[i].index, i);
		spool__ack(sp, &s.pos[i]);
	}
	assert_int_equal(count_segments(), 0);
	spool__free(sp);
}

/*
 * A v1 segment, then v2 segments of a run after the upgrade, then this run's:
 * replayed and read in that order, each with its own header; only this run's
 * records come without SPOOL_REC_REPLAYED.
 */
static void test_mixed_v1_then_v2_segments(void **state)
{
	static const char *const order[] = { "old-1", "old-2", "new-1", "now-1" };
	static const uint32_t flags[] = { SPOOL_REC_V1 | SPOOL_REC_REPLAYED,
					  SPOOL_REC_V1 | SPOOL_REC_REPLAYED, SPOOL_REC_REPLAYED, 0 };
	struct spool_cursor cur = { 0 };
	struct seen r = { 0 }, s = { 0 };
	struct spool *sp;
	uint8_t buf[64];
	size_t len;

	(void)state;
	len = v1_record(buf, "old-1");
	len += v1_record(buf + len, "old-2");
	write_segment(1, buf, len);
	sp = spool__open(dir, 1 << 20, 1 << 20);
	append(sp, "new-1", NULL);	/* segment 2: a run after the upgrade, killed */
	spool__free(sp);
	assert_int_equal(count_segments(), 2);

	sp = spool__open(dir, 1 << 20, 1 << 20);
	assert_int_equal(spool__replay(sp, on_replay, &r), 0);
	assert_int_equal(r.n, 3);
	append(sp, "now-1", NULL);	/* segment 3: this run's */
	assert_int_equal(read_all(sp, &cur, &s), 4);
	for (int i = 0; i < 4; i++) {
		assert_string_equal(s.payload[i], order[i]);
		assert_int_equal(s.flags[i], flags[i]);
		assert_int_equal(s.pos[i].segment, i < 2 ? 1 : i);
		if (i < 3) {
			assert_string_equal(r.payload[i], order[i]);
			assert_int_equal(r.flags[i], flags[i]);
		}
		if (i >= 2) {
			assert_int_equal(s.meta[i].seq, meta_of(5).seq);
			assert_int_equal(s.meta[i].kind, meta_of(5).kind);
			assert_int_equal(s.meta[i].ts_ns, meta_of(5).ts_ns);
		}
		spool__ack(sp, &s.pos[i]);
	}
	spool__free(sp);
	assert_int_equal(count_segments(), 0);
}

/*
 * A damaged byte in the kind, seq or ts_ns of a record on disk: found at
 * open as a CRC mismatch, counted, the record skipped, the others read.
 */
static void test_v2_header_field_damage_on_disk(void **state)
{
	static const char *const recs[] = { "one", "two", "three", NULL };
	struct spool_cursor cur = { 0 };
	struct spool_stats st;
	struct seen s = { 0 };
	struct spool *sp;
	char path[128];

	(void)state;
	/* seq of "two": its header starts after "one"'s record */
	spool_and_damage(recs, SPOOL_HDR_LEN + 3 + 16, path, sizeof(path));
	sp = spool__open(dir, 1 << 20, 1 << 20);
	spool__stats(sp, &st);
	assert_int_equal(st.corrupt, 1);
	assert_int_equal(st.records, 2);
	assert_int_equal(read_all(sp, &cur, &s), 2);
	assert_string_equal(s.payload[0], "one");
	assert_string_equal(s.payload[1], "three");
	assert_int_equal(s.pos[1].index, 1);
	spool__free(sp);
}

/* Stages n records "rec-NN" from first, each with meta_of(NN); positions into pos. */
static void stage_n(struct spool *sp, int first, int n, struct spool_pos *pos)
{
	char rec[16];

	for (int i = first; i < first + n; i++) {
		struct spool_meta m = meta_of(i);

		snprintf(rec, sizeof(rec), "rec-%02d", i);
		assert_int_equal(spool__stage(sp, &m, rec, strlen(rec), pos ? &pos[i] : NULL), 0);
	}
}

/*
 * A batch larger than what is left of a segment: its positions run on into
 * new segments, nothing is on disk nor readable before the commit, and the
 * commit writes each segment's part (three files here), all then read from
 * memory, in order, at the positions staged.
 */
static void test_batch_crosses_segment_boundaries(void **state)
{
	uint64_t rec = SPOOL_HDR_LEN + 6;	/* "rec-NN" */
	struct spool *sp = spool__open(dir, 1 << 20, 3 * rec);
	struct spool_cursor cur = { 0 };
	struct spool_record r;
	struct spool_pos pos[10];
	struct spool_stats st;
	struct seen s = { 0 };

	(void)state;
	stage_n(sp, 0, 8, pos);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pos[i].segment, 1 + i / 3);
		assert_int_equal(pos[i].index, i % 3);
	}
	assert_int_equal(count_segments(), 0);
	assert_int_equal(spool__read(sp, &cur, &r), -ENOENT);
	assert_false(spool__pending(sp, &pos[0]));
	spool__stats(sp, &st);
	assert_int_equal(st.records, 8);
	assert_int_equal(st.bytes, 0);

	assert_int_equal(spool__commit(sp, NULL, NULL), 0);
	assert_int_equal(count_segments(), 3);
	assert_int_equal(segment_size(1), 3 * rec);
	assert_int_equal(segment_size(2), 3 * rec);
	assert_int_equal(segment_size(3), 2 * rec);
	assert_int_equal(read_all(sp, &cur, &s), 8);
	for (int i = 0; i < 8; i++) {
		char want[16];

		snprintf(want, sizeof(want), "rec-%02d", i);
		assert_string_equal(s.payload[i], want);
		assert_int_equal(s.pos[i].segment, pos[i].segment);
		assert_int_equal(s.pos[i].index, pos[i].index);
		assert_int_equal(s.meta[i].seq, meta_of(i).seq);
		assert_int_equal(s.flags[i], 0);
	}
	spool__stats(sp, &st);
	assert_int_equal(st.bytes, 8 * rec);
	assert_int_equal(st.file_reads, 0);

	/* The next batch fills segment 3 and opens segment 4. */
	stage_n(sp, 8, 2, pos);
	assert_int_equal(pos[8].segment, 3);
	assert_int_equal(pos[8].index, 2);
	assert_int_equal(pos[9].segment, 4);
	assert_int_equal(pos[9].index, 0);
	assert_int_equal(spool__commit(sp, NULL, NULL), 0);
	assert_int_equal(read_all(sp, &cur, &s), 10);
	assert_string_equal(s.payload[9], "rec-09");
	for (int i = 0; i < 10; i++)
		spool__ack(sp, &pos[i]);
	assert_int_equal(count_segments(), 1);	/* segment 4, still being written */
	spool__free(sp);
	assert_int_equal(count_segments(), 0);
}

/*
 * Staging beyond the bound evicts the oldest segments, committed ones first,
 * then ones whose records are only staged (never written): every record lost
 * counted, and after the commit the files hold the bound at most.
 */
static void test_eviction_with_staged_batches(void **state)
{
	uint64_t rec = SPOOL_HDR_LEN + 6;
	struct spool *sp = spool__open(dir, 6 * rec, 2 * rec);
	struct spool_cursor cur = { 0 };
	struct spool_pos pos[11];
	struct spool_stats st;
	struct seen s = { 0 };

	(void)state;
	stage_n(sp, 0, 4, pos);			/* segments 1 and 2 */
	assert_int_equal(spool__commit(sp, NULL, NULL), 0);
	stage_n(sp, 4, 7, pos);			/* rec-04..rec-10: segments 3 to 6 */
	/*
	 * rec-06 evicted segment 1 (rec-00, rec-01), rec-08 segment 2, rec-10
	 * segment 3, whose rec-04 and rec-05 were never written.
	 */
	spool__stats(sp, &st);
	assert_int_equal(st.evicted, 6);
	assert_int_equal(st.records, 5);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(count_segments(), 0);
	assert_false(spool__pending(sp, &pos[0]));
	assert_int_equal(pos[6].segment, 4);
	assert_int_equal(pos[10].segment, 6);
	assert_int_equal(spool__commit(sp, NULL, NULL), 0);
	spool__stats(sp, &st);
	assert_int_equal(st.bytes, 5 * rec);
	assert_int_equal(count_segments(), 3);
	assert_int_equal(segment_size(3), -1);
	assert_int_equal(read_all(sp, &cur, &s), 5);
	for (int i = 0; i < 5; i++) {
		char want[16];

		snprintf(want, sizeof(want), "rec-%02d", 6 + i);
		assert_string_equal(s.payload[i], want);
		assert_int_equal(s.pos[i].segment, pos[6 + i].segment);
		assert_int_equal(s.pos[i].index, pos[6 + i].index);
	}
	spool__free(sp);
	assert_replays(6 * rec, 2 * rec, 5, "rec-06", "rec-10");
}

/* A copy of what spool__read returned. */
struct got {
	uint8_t payload[300];
	uint32_t len;
	uint32_t size;
	struct spool_meta meta;
	struct spool_pos pos;
};

static void read_into(struct spool *sp, struct spool_cursor *cur, struct got *g)
{
	struct spool_record rec;

	assert_int_equal(spool__read(sp, cur, &rec), 0);
	assert_true(rec.len <= sizeof(g->payload));
	memcpy(g->payload, rec.payload, rec.len);
	g->len = rec.len;
	g->size = rec.size;
	g->meta = rec.meta;
	g->pos = rec.pos;
	spool__advance(cur, &rec);
}

/*
 * A cursor on the batch just committed reads it from memory (no file read,
 * however many batches); a cursor behind reads the same bytes, meta and
 * positions from the file, all of a small backlog in one read.
 */
static void test_reads_from_memory_match_the_file(void **state)
{
	struct spool *sp = spool__open(dir, 1 << 20, 1 << 20);
	struct spool_cursor mem = { 0 }, disk = { 0 };
	static struct got a[40], b;
	struct spool_stats st;
	uint8_t payload[300];

	(void)state;
	for (int i = 0; i < 40; i++) {
		struct spool_meta m = meta_of(i);

		memset(payload, 'a' + i % 26, sizeof(payload));
		assert_int_equal(spool__stage(sp, &m, payload, 7 * i % 300, NULL), 0);
		/* batches of 1 to 4 records, each read at once */
		if (i % 4 == 3 || i % 7 == 0) {
			assert_int_equal(spool__commit(sp, NULL, NULL), 0);
			for (struct spool_record r; !spool__read(sp, &mem, &r);)
				read_into(sp, &mem, &a[mem.index]);
		}
	}
	assert_int_equal(spool__commit(sp, NULL, NULL), 0);
	for (struct spool_record r; !spool__read(sp, &mem, &r);)
		read_into(sp, &mem, &a[mem.index]);
	assert_int_equal(mem.index, 40);
	spool__stats(sp, &st);
	assert_int_equal(st.file_reads, 0);
	for (int i = 0; i < 40; i++) {
		read_into(sp, &disk, &b);
		assert_int_equal(b.len, a[i].len);
		assert_int_equal(b.len, 7 * i % 300);
		assert_memory_equal(b.payload, a[i].payload, b.len);
		assert_int_equal(b.size, a[i].size);
		assert_int_equal(b.meta.kind, a[i].meta.kind);
		assert_int_equal(b.meta.seq, a[i].meta.seq);
		assert_int_equal(b.meta.ts_ns, a[i].meta.ts_ns);
		assert_int_equal(b.pos.segment, a[i].pos.segment);
		assert_int_equal(b.pos.index, a[i].pos.index);
	}
	spool__stats(sp, &st);
	assert_int_equal(st.file_reads, 1);
	spool__free(sp);
}

struct handed {
	struct seen s;
	int err;
};

static void on_unwritten(void *ctx, const struct spool_record *rec, int err)
{
	struct handed *h = ctx;

	h->err = err;
	on_record(&h->s, rec, 0);
}

/*
 * A commit the file cannot take (its size limit cuts the write short): the
 * segment is cut back to what it held, the batch's records handed back and
 * out of the spool, and the next batch goes to the same segment.
 */
static void test_commit_failure_hands_records_back(void **state)
{
	struct spool *sp = spool__open(dir, 1 << 20, 1 << 20);
	struct spool_cursor cur = { 0 };
	struct rlimit saved, low;
	struct handed h = { 0 };
	struct spool_stats st;
	struct seen s = { 0 };
	void (*prev)(int);
	off_t first = SPOOL_HDR_LEN + 6;	/* "rec-00" */
	int err;

	(void)state;
	stage_n(sp, 0, 1, NULL);
	assert_int_equal(spool__commit(sp, NULL, NULL), 0);
	stage_n(sp, 1, 2, NULL);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	low = saved;
	low.rlim_cur = first + SPOOL_HDR_LEN + 3;	/* inside rec-01 */
	prev = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &low), 0);
	err = spool__commit(sp, on_unwritten, &h);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, prev);
	assert_true(err < 0);
	assert_int_equal(h.err, err);
	assert_int_equal(h.s.n, 2);
	assert_string_equal(h.s.payload[0], "rec-01");
	assert_string_equal(h.s.payload[1], "rec-02");
	assert_int_equal(h.s.meta[1].seq, meta_of(2).seq);
	assert_int_equal(segment_size(1), first);
	spool__stats(sp, &st);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.bytes, first);

	stage_n(sp, 3, 1, NULL);
	assert_int_equal(spool__commit(sp, NULL, NULL), 0);
	assert_int_equal(segment_size(1), 2 * first);
	assert_int_equal(read_all(sp, &cur, &s), 2);
	assert_string_equal(s.payload[0], "rec-00");
	assert_string_equal(s.payload[1], "rec-03");
	assert_int_equal(s.pos[1].index, 1);
	spool__free(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spool_replay_after_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_overflow_evicts_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_corrupt_segment_on_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_close_drops_acked_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_reads_in_order_across_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_rewind_skips_acked_and_double_ack_counts_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_moves_past_evicted_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_skips_crc_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_reads_past_a_damaged_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_segment_read_after_upgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mixed_v1_then_v2_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_header_field_damage_on_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_crosses_segment_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eviction_with_staged_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_from_memory_match_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_failure_hands_records_back, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
