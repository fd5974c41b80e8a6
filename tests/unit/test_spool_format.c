/* The spool's record format (v2, and v1 as left by older agents) and its segment files: CRC-32C, round trip, CRC mismatch, damaged headers, truncated tail, mixed versions; names, listing, reading. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sinks/spool_format.h"
#include "sinks/spool_segfile.h"
#include "spool_seen.h"

/* Records "a", "bb", "ccc" back to back, as the spool writes them, with meta_of(0..2). */
static size_t three_records(uint8_t *buf)
{
	const char *rec[] = { "a", "bb", "ccc" };
	size_t off = 0;
	int i;

	for (i = 0; i < 3; i++) {
		struct spool_meta m = meta_of(i);

		spool_format_header(buf + off, &m, rec[i], strlen(rec[i]));
		memcpy(buf + off + SPOOL_HDR_LEN, rec[i], strlen(rec[i]));
		off += SPOOL_HDR_LEN + strlen(rec[i]);
	}
	return off;
}

/* CRC-32C: the standard check value, the same by instruction and by table, chained. */
static void test_crc32c(void **state)
{
	uint8_t buf[1000];

	(void)state;
	assert_int_equal(spool_format_crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(spool_format_crc32c_soft(0, "123456789", 9), 0xe3069283);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof(buf); n += 37) {
		assert_int_equal(spool_format_crc32c(0, buf, n), spool_format_crc32c_soft(0, buf, n));
		assert_int_equal(spool_format_crc32c(spool_format_crc32c(0, buf, n / 3), buf + n / 3, n - n / 3),
				 spool_format_crc32c(0, buf, n));
	}
}

static void test_parse_round_trip(void **state)
{
	struct seen s = { 0 };
	uint8_t buf[256];
	size_t len = three_records(buf);

	(void)state;
	assert_int_equal(len, 3 * SPOOL_HDR_LEN + 6);
	assert_int_equal(SPOOL_HDR_LEN, 32);
	/* magic, length 1, then (after the CRC) kind 0, seq 1000, ts_ns: all little-endian */
	assert_memory_equal(buf, "HMS2\x01\x00\x00\x00", 8);
	assert_memory_equal(buf + 12, "\x00\x00\x00\x00\xe8\x03\x00\x00\x00\x00\x00\x00", 12);
	assert_memory_equal(buf + 24, "\x00\x00\x2a\x36\xfe\x9c\x97\x17", 8);
	assert_int_equal(spool_format_parse(buf, len, on_record, on_error, &s), 3);
	assert_int_equal(s.nerr, 0);
	assert_string_equal(s.payload[0], "a");
	assert_string_equal(s.payload[1], "bb");
	assert_string_equal(s.payload[2], "ccc");
	assert_int_equal(s.offsets[2], 2 * SPOOL_HDR_LEN + 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(s.meta[i].kind, meta_of(i).kind);
		assert_int_equal(s.meta[i].seq, meta_of(i).seq);
		assert_int_equal(s.meta[i].ts_ns, meta_of(i).ts_ns);
		assert_int_equal(s.flags[i], 0);
	}
}

/* A flipped payload byte: that record is skipped and named, the next one still read. */
static void test_parse_crc_mismatch_skips_one(void **state)
{
	struct seen s = { 0 };
	uint8_t buf[128];
	size_t len = three_records(buf);

	(void)state;
	buf[SPOOL_HDR_LEN + 1 + SPOOL_HDR_LEN] ^= 0x20; /* "bb" -> "Bb" */
	assert_int_equal(spool_format_parse(buf, len, on_record, on_error, &s), 2);
	assert_int_equal(s.nerr, 1);
	assert_int_equal(s.errors[0], SPOOL_HDR_LEN + 1);
	assert_string_equal(s.payload[0], "a");
	assert_string_equal(s.payload[1], "ccc");
}

/* Without callbacks the walk still counts the good records, past a damaged one. */
static void test_parse_without_callbacks_counts(void **state)
{
	uint8_t buf[128];
	size_t len = three_records(buf);

	(void)state;
	assert_int_equal(spool_format_parse(buf, len, NULL, NULL, NULL), 3);
	buf[SPOOL_HDR_LEN + 1 + SPOOL_HDR_LEN] ^= 0x20;
	assert_int_equal(spool_format_parse(buf, len, NULL, NULL, NULL), 2);
}

/* Every cut inside the last record (header or payload) loses that record only. */
static void test_parse_truncated_tail(void **state)
{
	uint8_t buf[128];
	size_t len = three_records(buf), last = 2 * SPOOL_HDR_LEN + 3, cut;

	(void)state;
	for (cut = last + 1; cut < len; cut++) {
		struct seen s = { 0 };

		assert_int_equal(spool_format_parse(buf, cut, on_record, on_error, &s), 2);
		assert_int_equal(s.nerr, 1);
		assert_int_equal(s.errors[0], last);
	}
}

/* Parses three_records' bytes, the second damaged: it alone is lost, for why (NULL: any reason). */
static void assert_only_second_lost(const uint8_t *buf, size_t len, const char *why)
{
	struct seen s = { 0 };

	assert_int_equal(spool_format_parse(buf, len, on_record, on_error, &s), 2);
	assert_int_equal(s.nerr, 1);
	assert_int_equal(s.errors[0], SPOOL_HDR_LEN + 1);
	if (why)
		assert_string_equal(s.why[0], why);
	assert_string_equal(s.payload[0], "a");
	assert_string_equal(s.payload[1], "ccc");
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
		len = three_records(buf);
		if (damage == 0)
			buf[second + 1] = 'X';			/* "HMS2" -> "HXS2" */
		else
			buf[second + 4] = 0x7f;			/* length 2 -> 127 */
		assert_only_second_lost(buf, len, NULL);
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
	assert_int_equal(spool_format_parse(buf, SPOOL_HDR_LEN + 1 + SPOOL_HDR_LEN + 1, on_record,
				     on_error, &s), 0);
	assert_int_equal(s.nerr, 1);
	assert_int_equal(s.errors[0], 0);
}

/* A flipped bit in kind, seq or ts_ns of a v2 header is caught by the CRC: that record only. */
static void test_parse_v2_header_field_damage_is_a_crc_mismatch(void **state)
{
	static const size_t fields[] = { 12, 16, 23, 24, 31 };	/* kind, seq (first and last byte), ts_ns */
	uint8_t buf[256];
	size_t len, second = SPOOL_HDR_LEN + 1;

	(void)state;
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		len = three_records(buf);
		buf[second + fields[f]] ^= 0x01;
		assert_only_second_lost(buf, len, "CRC mismatch");
	}
}

/*
 * One buffer with v1 and v2 records mixed: each read with its own header;
 * a damaged magic of either version resyncs to the next intact record of
 * either version.
 */
static void test_parse_mixed_versions_and_resync(void **state)
{
	struct spool_meta m = meta_of(4);
	uint8_t buf[256];
	size_t len, v2_at, v1_at;

	(void)state;
	for (int damage = 0; damage < 3; damage++) {
		struct seen s = { 0 };

		len = v1_record(buf, "one");
		v2_at = len;
		spool_format_header(buf + len, &m, "two", 3);
		memcpy(buf + len + SPOOL_HDR_LEN, "two", 3);
		len += SPOOL_HDR_LEN + 3;
		v1_at = len;
		len += v1_record(buf + len, "three");
		if (damage == 1)
			buf[v2_at + 3] = '3';		/* "HMS2" -> "HMS3": no version */
		else if (damage == 2)
			buf[v1_at] = 'h';		/* "HMS1" -> "hMS1" */
		assert_int_equal(spool_format_parse(buf, len, on_record, on_error, &s), damage ? 2 : 3);
		assert_int_equal(s.nerr, damage ? 1 : 0);
		assert_string_equal(s.payload[0], "one");
		assert_int_equal(s.flags[0], SPOOL_REC_V1);
		assert_int_equal(s.meta[0].seq, 0);
		if (damage == 2) {
			assert_int_equal(s.errors[0], v1_at);
			continue;
		}
		assert_string_equal(s.payload[damage ? 1 : 2], "three");
		if (damage == 1) {
			assert_int_equal(s.errors[0], v2_at);
			continue;
		}
		assert_string_equal(s.payload[1], "two");
		assert_int_equal(s.flags[1], 0);
		assert_int_equal(s.meta[1].seq, m.seq);
		assert_int_equal(s.meta[1].kind, m.kind);
		assert_int_equal(s.meta[1].ts_ns, m.ts_ns);
	}
}

static void touch(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Segment files are named by a 20-digit id; a directory lists them in id order, nothing else. */
static void test_segfile_names_list_and_read(void **state)
{
	uint64_t id, *ids;
	size_t n, len;
	uint8_t *data;
	char *path;

	(void)state;
	path = spool_segfile_path("/d", 42);
	assert_string_equal(path, "/d/00000000000000000042.seg");
	free(path);
	assert_int_equal(spool_segfile_id("00000000000000000042.seg", &id), 0);
	assert_int_equal(id, 42);
	assert_int_equal(spool_segfile_id("00000000000000000042.seg.tmp", &id), -EINVAL);
	assert_int_equal(spool_segfile_id("0000000000000000004x.seg", &id), -EINVAL);
	assert_int_equal(spool_segfile_id("42.seg", &id), -EINVAL);
	touch("00000000000000000010.seg", "ten");
	touch("00000000000000000002.seg", "two");
	touch("00000000000000000003.seg.tmp", "");
	touch("notes", "");
	assert_int_equal(spool_segfile_list(dir, &ids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], 2);
	assert_int_equal(ids[1], 10);
	free(ids);
	path = spool_segfile_path(dir, 10);
	data = spool_segfile_read(path, &len);
	assert_non_null(data);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "ten", 3);
	free(data);
	free(path);
	path = spool_segfile_path(dir, 11);
	assert_null(spool_segfile_read(path, &len));
	assert_int_equal(errno, ENOENT);
	free(path);
	assert_int_equal(spool_segfile_list("/nonexistent/spool", &ids, &n), -ENOENT);
	assert_null(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_crc_mismatch_skips_one),
		cmocka_unit_test(test_parse_without_callbacks_counts),
		cmocka_unit_test(test_parse_truncated_tail),
		cmocka_unit_test(test_parse_bad_header_resyncs_to_next_record),
		cmocka_unit_test(test_parse_bad_header_without_anything_after),
		cmocka_unit_test(test_parse_v2_header_field_damage_is_a_crc_mismatch),
		cmocka_unit_test(test_parse_mixed_versions_and_resync),
		cmocka_unit_test_setup_teardown(test_segfile_names_list_and_read, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
