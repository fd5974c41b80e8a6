/* hostmon-consume's modules: seq accounting per agent instance (gaps, duplicates), envelope -> JSON decoding, and --spool's walk over segment files (in a temporary directory). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "record/envelope.h"
#include "proto/hostmon.pb-c.h"
#include "record/pbjson.h"
#include "tools/hostmon-consume/seqcheck.h"
#include "tools/hostmon-consume/spoolwalk.h"

static struct seqcheck *add_all(const char *inst, const uint64_t *seqs, size_t n)
{
	struct seqcheck *sc = seqcheck__new();
	size_t i;

	assert_non_null(sc);
	for (i = 0; i < n; i++)
		assert_int_equal(seqcheck__add(sc, "h", "b", inst, seqs[i]), 0);
	return sc;
}

static void expect_summary(struct seqcheck *sc, size_t i, uint64_t first, uint64_t last,
			   uint64_t count, uint64_t gaps, uint64_t dups)
{
	struct seqcheck_summary s;

	seqcheck__summary(sc, i, &s);
	if (s.first != first || s.last != last || s.count != count || s.gaps != gaps ||
	    s.duplicates != dups)
		fail_msg("instance %s: expected first %llu last %llu count %llu gaps %llu dups %llu, "
			 "got %llu %llu %llu %llu %llu", s.instance_id, (unsigned long long)first,
			 (unsigned long long)last, (unsigned long long)count, (unsigned long long)gaps,
			 (unsigned long long)dups, (unsigned long long)s.first,
			 (unsigned long long)s.last, (unsigned long long)s.count,
			 (unsigned long long)s.gaps, (unsigned long long)s.duplicates);
}

static void test_contiguous_has_no_gap_or_dup(void **state)
{
	const uint64_t seqs[] = { 1, 2, 3, 4, 5 };
	struct seqcheck *sc = add_all("i", seqs, 5);

	(void)state;
	assert_int_equal(seqcheck__instances(sc), 1);
	expect_summary(sc, 0, 1, 5, 5, 0, 0);
	seqcheck__free(sc);
}

static void test_missing_middle_and_start_are_gaps(void **state)
{
	const uint64_t seqs[] = { 3, 4, 7, 8 }; /* 1, 2, 5, 6 missing */
	struct seqcheck *sc = add_all("i", seqs, 4);

	(void)state;
	expect_summary(sc, 0, 3, 8, 4, 4, 0);
	seqcheck__free(sc);
}

static void test_duplicates_counted_beyond_first(void **state)
{
	const uint64_t seqs[] = { 1, 2, 2, 3, 3, 3, 4 };
	struct seqcheck *sc = add_all("i", seqs, 7);

	(void)state;
	expect_summary(sc, 0, 1, 4, 7, 0, 3);
	seqcheck__free(sc);
}

/* A replay out of order is neither a gap nor a duplicate. */
static void test_reordered_is_not_a_gap(void **state)
{
	const uint64_t seqs[] = { 4, 1, 3, 2, 6, 5 };
	struct seqcheck *sc = add_all("i", seqs, 6);

	(void)state;
	expect_summary(sc, 0, 1, 6, 6, 0, 0);
	seqcheck__free(sc);
}

static void test_gap_and_dup_together(void **state)
{
	const uint64_t seqs[] = { 1, 2, 4, 4, 5 };
	struct seqcheck *sc = add_all("i", seqs, 5);

	(void)state;
	expect_summary(sc, 0, 1, 5, 5, 1, 1);
	seqcheck__free(sc);
}

/* Each of host, boot and instance id separates sequences. */
static void test_instances_kept_apart(void **state)
{
	struct seqcheck *sc = seqcheck__new();
	struct seqcheck_summary s;

	(void)state;
	assert_int_equal(seqcheck__add(sc, "h", "b", "i1", 1), 0);
	assert_int_equal(seqcheck__add(sc, "h", "b", "i2", 1), 0);
	assert_int_equal(seqcheck__add(sc, "h", "b", "i1", 2), 0);
	assert_int_equal(seqcheck__add(sc, "h", "b2", "i1", 1), 0);
	assert_int_equal(seqcheck__add(sc, "h2", "b", "i1", 1), 0);
	assert_int_equal(seqcheck__add(sc, "h", "b", "i2", 2), 0);
	assert_int_equal(seqcheck__instances(sc), 4);
	expect_summary(sc, 0, 1, 2, 2, 0, 0);
	expect_summary(sc, 1, 1, 2, 2, 0, 0);
	expect_summary(sc, 2, 1, 1, 1, 0, 0);
	expect_summary(sc, 3, 1, 1, 1, 0, 0);
	seqcheck__summary(sc, 2, &s);
	assert_string_equal(s.boot_id, "b2");
	seqcheck__summary(sc, 3, &s);
	assert_string_equal(s.host_id, "h2");
	seqcheck__free(sc);
}

static void test_huge_seq_does_not_overflow(void **state)
{
	const uint64_t seqs[] = { 1, UINT64_MAX };
	struct seqcheck *sc = add_all("i", seqs, 2);

	(void)state;
	expect_summary(sc, 0, 1, UINT64_MAX, 2, UINT64_MAX - 2, 0);
	seqcheck__free(sc);
}

static void test_many_records(void **state)
{
	struct seqcheck *sc = seqcheck__new();
	uint64_t s;

	(void)state;
	for (s = 1; s <= 100000; s++)
		if (s != 500)
			assert_int_equal(seqcheck__add(sc, "h", "b", "i", s), 0);
	assert_int_equal(seqcheck__add(sc, "h", "b", "i", 99), 0);
	expect_summary(sc, 0, 1, 100000, 100000, 1, 1);
	seqcheck__free(sc);
}

/* An agent's record read from its JSON line, packed, decoded, and rendered: maps, enums, uint64 exact. */
static void test_pbjson_renders_envelope(void **state)
{
	struct json_object *rec = json_tokener_parse(
		"{\"type\":\"metrics\",\"seq\":18446744073709551615,\"ts_ns\":1795433268263879146,"
		"\"host_id\":\"h\",\"boot_id\":\"b\",\"window_start_ns\":1,\"window_ns\":2,"
		"\"state\":\"running\",\"syscalls\":[{\"syscall\":\"close\",\"nr\":3,\"calls\":5,"
		"\"errors\":1,\"errnos\":{\"EBADF\":1}}],\"exits_nonzero\":{\"bash\":2}}");
	Hostmon__V1__Envelope *env;
	struct json_object *js, *v;
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_non_null(rec);
	env = (Hostmon__V1__Envelope *)pbjson_read(rec, &hostmon__v1__envelope__descriptor);
	assert_non_null(env);
	env->instance_id = strdup("iid");
	len = hostmon__v1__envelope__get_packed_size(env);
	buf = malloc(len);
	assert_non_null(buf);
	hostmon__v1__envelope__pack(env, buf);
	hostmon__v1__envelope__free_unpacked(env, NULL);
	env = hostmon__v1__envelope__unpack(NULL, len, buf);
	assert_non_null(env);
	js = pbjson_object(&env->base, PBJSON_PROTO);
	assert_non_null(js);
	assert_true(json_object_object_get_ex(js, "seq", &v));
	assert_true(json_object_get_uint64(v) == UINT64_MAX);
	assert_true(json_object_object_get_ex(js, "instance_id", &v));
	assert_string_equal(json_object_get_string(v), "iid");
	assert_false(json_object_object_get_ex(js, "process_crash", &v));
	assert_true(json_object_object_get_ex(js, "metrics", &v));
	assert_string_equal(json_object_get_string(json_object_object_get(v, "state")),
			    "AGENT_STATE_RUNNING");
	assert_int_equal(json_object_get_int64(json_object_object_get(
				 json_object_object_get(v, "exits_nonzero"), "bash")), 2);
	v = json_object_array_get_idx(json_object_object_get(v, "syscalls"), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(v, "syscall")), "close");
	assert_int_equal(json_object_get_int64(json_object_object_get(
				 json_object_object_get(v, "errnos"), "EBADF")), 1);
	json_object_put(js);
	hostmon__v1__envelope__free_unpacked(env, NULL);
	free(buf);
	json_object_put(rec);
}

/* What a spool walk handed over: payloads and the files they came from, corrupt places. */
struct walked {
	char got[256];		/* payloads, each followed by '@' and its file's last character before ".seg" */
	int corrupt;
	char corrupt_file[256];
	size_t corrupt_offset;
};

static void walked_record(void *ctx, const char *file, size_t offset, const struct spool_record *rec)
{
	struct walked *w = ctx;
	size_t n = strlen(w->got), flen = strlen(file);

	(void)offset;
	assert_true(n + rec->len + 3 < sizeof(w->got) && flen > 4);
	memcpy(w->got + n, rec->payload, rec->len);
	w->got[n + rec->len] = '@';
	w->got[n + rec->len + 1] = file[flen - 5];
	w->got[n + rec->len + 2] = '\0';
}

static void walked_corrupt(void *ctx, const char *file, size_t offset, const char *why)
{
	struct walked *w = ctx;

	assert_string_equal(why, "CRC mismatch");
	w->corrupt++;
	snprintf(w->corrupt_file, sizeof(w->corrupt_file), "%s", file);
	w->corrupt_offset = offset;
}

/* A segment file dir/name of the given one-byte payloads; the index bad gets a flipped payload. */
static void write_segment(const char *dir, const char *name, const char *payloads, int bad)
{
	struct spool_meta meta = { 0 };
	uint8_t rec[SPOOL_HDR_LEN + 1];
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; payloads[i]; i++) {
		meta.seq = (uint64_t)i + 1;
		spool_format_header(rec, &meta, &payloads[i], 1);
		rec[SPOOL_HDR_LEN] = (uint8_t)(i == bad ? payloads[i] ^ 0x20 : payloads[i]);
		assert_int_equal(fwrite(rec, sizeof(rec), 1, f), 1);
	}
	assert_int_equal(fclose(f), 0);
}

/* --spool: a directory's segments in id order (not name order of other files), a corrupt record named by file and offset, one file alone. */
static void test_spoolwalk_dir_in_order_names_corrupt(void **state)
{
	static const struct spoolwalk_ops ops = { .record = walked_record, .corrupt = walked_corrupt };
	char dir[] = "/tmp/test_consume.XXXXXX", path[128], cmd[64];
	struct walked w = { 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_segment(dir, "00000000000000000010.seg", "cd", -1);
	write_segment(dir, "00000000000000000002.seg", "axb", 1);
	write_segment(dir, "00000000000000000003.seg.tmp", "z", -1);
	assert_int_equal(spoolwalk(dir, &ops, &w), 0);
	assert_string_equal(w.got, "a@2b@2c@0d@0");
	assert_int_equal(w.corrupt, 1);
	snprintf(path, sizeof(path), "%s/00000000000000000002.seg", dir);
	assert_string_equal(w.corrupt_file, path);
	assert_int_equal(w.corrupt_offset, SPOOL_HDR_LEN + 1);
	memset(&w, 0, sizeof(w));
	snprintf(path, sizeof(path), "%s/00000000000000000010.seg", dir);
	assert_int_equal(spoolwalk(path, &ops, &w), 0);
	assert_string_equal(w.got, "c@0d@0");
	assert_int_equal(w.corrupt, 0);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(spoolwalk(path, &ops, &w), -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contiguous_has_no_gap_or_dup),
		cmocka_unit_test(test_missing_middle_and_start_are_gaps),
		cmocka_unit_test(test_duplicates_counted_beyond_first),
		cmocka_unit_test(test_reordered_is_not_a_gap),
		cmocka_unit_test(test_gap_and_dup_together),
		cmocka_unit_test(test_instances_kept_apart),
		cmocka_unit_test(test_huge_seq_does_not_overflow),
		cmocka_unit_test(test_many_records),
		cmocka_unit_test(test_spoolwalk_dir_in_order_names_corrupt),
		cmocka_unit_test(test_pbjson_renders_envelope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
