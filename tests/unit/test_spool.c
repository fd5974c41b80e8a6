/* The spool's segment format and life cycle: round trip, CRC mismatch, truncated tail, eviction on overflow, ack and replay. */
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "spool.h"

#define MAX_SEEN 64

struct seen {
	char payload[MAX_SEEN][64];
	struct spool_pos pos[MAX_SEEN];
	size_t offsets[MAX_SEEN];
	size_t errors[MAX_SEEN];
	int n;
	int nerr;
};

static void on_record(void *ctx, const uint8_t *p, uint32_t len, size_t offset)
{
	struct seen *s = ctx;

	assert_true(s->n < MAX_SEEN && len < 64);
	memcpy(s->payload[s->n], p, len);
	s->payload[s->n][len] = '\0';
	s->offsets[s->n++] = offset;
}

static void on_error(void *ctx, size_t offset, const char *why)
{
	struct seen *s = ctx;

	(void)why;
	s->errors[s->nerr++] = offset;
}

static void on_replay(void *ctx, const uint8_t *p, uint32_t len, const struct spool_pos *pos)
{
	struct seen *s = ctx;

	s->pos[s->n] = *pos;
	on_record(ctx, p, len, 0);
}

/* Records "a", "bb", "ccc" back to back, as the spool writes them. */
static size_t three_records(uint8_t *buf)
{
	const char *rec[] = { "a", "bb", "ccc" };
	size_t off = 0;
	int i;

	for (i = 0; i < 3; i++) {
		spool_record_header(buf + off, rec[i], strlen(rec[i]));
		memcpy(buf + off + SPOOL_HDR_LEN, rec[i], strlen(rec[i]));
		off += SPOOL_HDR_LEN + strlen(rec[i]);
	}
	return off;
}

static void test_parse_round_trip(void **state)
{
	struct seen s = { 0 };
	uint8_t buf[128];
	size_t len = three_records(buf);

	(void)state;
	assert_int_equal(len, 3 * SPOOL_HDR_LEN + 6);
	assert_memory_equal(buf, "HMS1\x01\x00\x00\x00", 8);
	assert_int_equal(spool_parse(buf, len, on_record, on_error, &s), 3);
	assert_int_equal(s.nerr, 0);
	assert_string_equal(s.payload[0], "a");
	assert_string_equal(s.payload[1], "bb");
	assert_string_equal(s.payload[2], "ccc");
	assert_int_equal(s.offsets[2], 2 * SPOOL_HDR_LEN + 3);
}

/* A flipped payload byte: that record is skipped and named, the next one still read. */
static void test_parse_crc_mismatch_skips_one(void **state)
{
	struct seen s = { 0 };
	uint8_t buf[128];
	size_t len = three_records(buf);

	(void)state;
	buf[SPOOL_HDR_LEN + 1 + SPOOL_HDR_LEN] ^= 0x20; /* "bb" -> "Bb" */
	assert_int_equal(spool_parse(buf, len, on_record, on_error, &s), 2);
	assert_int_equal(s.nerr, 1);
	assert_int_equal(s.errors[0], SPOOL_HDR_LEN + 1);
	assert_string_equal(s.payload[0], "a");
	assert_string_equal(s.payload[1], "ccc");
}

/* Every cut inside the last record (header or payload) loses that record only. */
static void test_parse_truncated_tail(void **state)
{
	uint8_t buf[128];
	size_t len = three_records(buf), last = 2 * SPOOL_HDR_LEN + 3, cut;

	(void)state;
	for (cut = last + 1; cut < len; cut++) {
		struct seen s = { 0 };

		assert_int_equal(spool_parse(buf, cut, on_record, on_error, &s), 2);
		assert_int_equal(s.nerr, 1);
		assert_int_equal(s.errors[0], last);
	}
}

/*
 * A damaged header (magic, or a length pointing past the end) loses that
 * record only: the walk goes on at the next intact record.
 */
static void test_parse_bad_header_resyncs_to_next_record(void **state)
{
	uint8_t buf[128];
	size_t len = three_records(buf), second = SPOOL_HDR_LEN + 1;

	(void)state;
	for (int damage = 0; damage < 2; damage++) {
		struct seen s = { 0 };

		len = three_records(buf);
		if (damage == 0)
			buf[second + 1] = 'X';			/* "HMS1" -> "HXS1" */
		else
			buf[second + 4] = 0x7f;			/* length 2 -> 127 */
		assert_int_equal(spool_parse(buf, len, on_record, on_error, &s), 2);
		assert_int_equal(s.nerr, 1);
		assert_int_equal(s.errors[0], second);
		assert_string_equal(s.payload[0], "a");
		assert_string_equal(s.payload[1], "ccc");
	}
}

/* A damaged first header and nothing intact after it: one error, no record. */
static void test_parse_bad_header_without_anything_after(void **state)
{
	struct seen s = { 0 };
	uint8_t buf[128];

	(void)state;
	three_records(buf);
	buf[0] = 'X';
	/* Cut inside the second record: no intact record is left after the first. */
	assert_int_equal(spool_parse(buf, SPOOL_HDR_LEN + 1 + SPOOL_HDR_LEN + 1, on_record,
				     on_error, &s), 0);
	assert_int_equal(s.nerr, 1);
	assert_int_equal(s.errors[0], 0);
}

static char dir[] = "/tmp/test_spool.XXXXXX";

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_spool.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

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
	struct spool_pos ignored;

	assert_int_equal(spool__append(sp, s, strlen(s), pos ? pos : &ignored), 0);
}

/* Written, reopened, replayed in order with positions; acking all deletes the segments. */
static void test_spool_replay_after_reopen(void **state)
{
	struct spool *sp = spool__open(dir, 1 << 20, 40);
	struct spool_stats st;
	struct seen s = { 0 };
	char rec[16];
	int i;

	(void)state;
	assert_non_null(sp);
	for (i = 0; i < 10; i++) {
		snprintf(rec, sizeof(rec), "record-%02d", i); /* 9 bytes + 12: one per segment */
		append(sp, rec, NULL);
	}
	spool__free(sp);
	assert_int_equal(count_segments(), 10);

	sp = spool__open(dir, 1 << 20, 40);
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
	assert_int_equal(spool__append(sp, "newer", 5, &s.pos[0]), 0);
	spool__free(sp);
	assert_int_equal(count_segments(), 1); /* "new" and "newer" not acknowledged */

	sp = spool__open(dir, 1 << 20, 40);
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
	struct seen s = { 0 };
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

	sp = spool__open(dir, 10 * rec, 2 * rec);
	assert_int_equal(spool__replay(sp, on_replay, &s), 0);
	assert_int_equal(s.n, 9);
	assert_string_equal(s.payload[0], "r-02");
	assert_string_equal(s.payload[8], "r-10");
	spool__free(sp);
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
	struct spool_pos ignored;
	uint8_t *payload;
	uint32_t len;
	int err = spool__read(sp, cur, &payload, &len, pos ? pos : &ignored);

	if (err)
		return err;
	assert_true(len < 64);
	memcpy(out, payload, len);
	out[len] = '\0';
	free(payload);
	spool__advance(cur, len);
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
	spool_and_damage(recs, SPOOL_HDR_LEN + 3 + 1, path, sizeof(path));	/* "HMS1" of "two" */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_crc_mismatch_skips_one),
		cmocka_unit_test(test_parse_truncated_tail),
		cmocka_unit_test(test_parse_bad_header_resyncs_to_next_record),
		cmocka_unit_test(test_parse_bad_header_without_anything_after),
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
