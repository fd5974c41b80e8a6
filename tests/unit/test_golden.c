/* Golden envelopes of every release (tests/golden) decoded by the current generated code, field by field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "core/version.h"
#include "proto/hostmon.pb-c.h"
#include "record/pbjson.h"

#ifndef GOLDEN_DIR
#error "GOLDEN_DIR (tests/golden) is set by the Makefile"
#endif

/* One release's file: its envelopes decoded now, and the decoding recorded at release. */
struct golden {
	char path[4096];
	Hostmon__V1__Envelope *envs[64];
	struct json_object *decoded[64];
	struct json_object *expected[64];
	size_t n_decoded, n_expected;
};

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size = -1;

	if (!f)
		fail_msg("opening %s failed: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		fail_msg("sizing %s failed: %s", path, strerror(errno));
	buf = malloc(size ? size : 1);
	assert_non_null(buf);
	*len = fread(buf, 1, size, f);
	assert_int_equal(*len, (size_t)size);
	fclose(f);
	return buf;
}

/* The varint length before each envelope (protobuf's delimited stream); 0 at a bad one. */
static size_t varint(const uint8_t *buf, size_t len, size_t *off)
{
	size_t v = 0;
	int shift = 0;

	while (*off < len && shift < 35) {
		uint8_t b = buf[(*off)++];

		v |= (size_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7;
	}
	fail_msg("bad length varint before offset %zu", *off);
	return 0;
}

static void decode_bin(struct golden *g)
{
	size_t len, off = 0, n;
	uint8_t *buf = slurp(g->path, &len);

	while (off < len) {
		Hostmon__V1__Envelope *env;

		n = varint(buf, len, &off);
		if (n > len - off)
			fail_msg("%s: envelope %zu of %zu bytes runs past the end", g->path,
				 g->n_decoded, n);
		env = hostmon__v1__envelope__unpack(NULL, n, buf + off);
		if (!env)
			fail_msg("%s: envelope %zu does not decode", g->path, g->n_decoded);
		assert_true(g->n_decoded < 64);
		g->envs[g->n_decoded] = env;
		g->decoded[g->n_decoded] = pbjson_object(&env->base, PBJSON_PROTO);
		assert_non_null(g->decoded[g->n_decoded++]);
		off += n;
	}
	free(buf);
}

static void load_expected(struct golden *g)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%.*s.json", (int)(strlen(g->path) - 4), g->path);
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s has no expected decoding %s: %s", g->path, path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		assert_true(g->n_expected < 64);
		g->expected[g->n_expected] = json_tokener_parse(line);
		if (!g->expected[g->n_expected++])
			fail_msg("%s line %zu is not JSON", path, g->n_expected);
	}
	free(line);
	fclose(f);
}

static struct golden *golden_load(const char *bin_path)
{
	struct golden *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	snprintf(g->path, sizeof(g->path), "%s", bin_path);
	decode_bin(g);
	load_expected(g);
	if (g->n_decoded != g->n_expected)
		fail_msg("%s: %zu envelopes, %zu expected decodings", g->path, g->n_decoded,
			 g->n_expected);
	return g;
}

static void golden_free(struct golden *g)
{
	for (size_t i = 0; i < g->n_decoded; i++) {
		json_object_put(g->decoded[i]);
		hostmon__v1__envelope__free_unpacked(g->envs[i], NULL);
	}
	for (size_t i = 0; i < g->n_expected; i++)
		json_object_put(g->expected[i]);
	free(g);
}

/* A value's JSON text, as the files hold it: exact for 64-bit integers. */
static const char *jtext(struct json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* proto3's default of a field: what a field newer than the golden file decodes to. */
static int is_zero(struct json_object *v)
{
	const char *s;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return 1;
	case json_type_boolean:
		return !json_object_get_boolean(v);
	case json_type_int:
		return !strcmp(jtext(v), "0");
	case json_type_double:
		return json_object_get_double(v) == 0;
	case json_type_string:
		s = json_object_get_string(v);
		return !*s || (strlen(s) > 12 && !strcmp(s + strlen(s) - 12, "_UNSPECIFIED"));
	case json_type_array:
		return !json_object_array_length(v);
	case json_type_object:
		return !json_object_object_length(v);
	}
	return 0;
}

static int differ(struct json_object *want, struct json_object *got, const char *path, char *why,
		  size_t len);

static int object_differs(struct json_object *want, struct json_object *got, const char *path,
			  char *why, size_t len)
{
	char sub[512];
	struct json_object *w;

	json_object_object_foreach(want, key, unused) {
		(void)unused;
		if (!json_object_object_get_ex(got, key, NULL))
			return snprintf(why, len, "%s.%s: in the golden file, not decoded now", path,
					key), 1;
	}
	json_object_object_foreach(got, key2, g) {
		snprintf(sub, sizeof(sub), "%s.%s", path, key2);
		if (!json_object_object_get_ex(want, key2, &w)) {
			/* A field added after that release: it must decode as its default. */
			if (!is_zero(g))
				return snprintf(why, len, "%s: not in the golden file, decoded as %s", sub,
						jtext(g)), 1;
		} else if (differ(w, g, sub, why, len)) {
			return 1;
		}
	}
	return 0;
}

/* 1 and why set at the first difference between the recorded and the current decoding. */
static int differ(struct json_object *want, struct json_object *got, const char *path, char *why,
		  size_t len)
{
	char sub[512];

	if (json_object_get_type(want) != json_object_get_type(got))
		return snprintf(why, len, "%s: expected %s, decoded %s", path,
				jtext(want), jtext(got)), 1;
	if (json_object_is_type(want, json_type_object))
		return object_differs(want, got, path, why, len);
	if (json_object_is_type(want, json_type_array)) {
		if (json_object_array_length(want) != json_object_array_length(got))
			return snprintf(why, len, "%s: expected %zu elements, decoded %zu", path,
					json_object_array_length(want),
					json_object_array_length(got)), 1;
		for (size_t i = 0; i < json_object_array_length(want); i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (differ(json_object_array_get_idx(want, i),
				   json_object_array_get_idx(got, i), sub, why, len))
				return 1;
		}
		return 0;
	}
	/* Doubles by value: "0.94999999999999996" and "0.95" are the same number. */
	if (json_object_is_type(want, json_type_double) ?
	    json_object_get_double(want) != json_object_get_double(got) : strcmp(jtext(want), jtext(got)))
		return snprintf(why, len, "%s: expected %s, decoded %s", path,
				jtext(want), jtext(got)), 1;
	return 0;
}

static void check_golden(const char *bin_path)
{
	struct golden *g = golden_load(bin_path);
	char why[1024], path[64];

	for (size_t i = 0; i < g->n_decoded; i++) {
		snprintf(path, sizeof(path), "envelope[%zu]", i);
		if (differ(g->expected[i], g->decoded[i], path, why, sizeof(why)))
			fail_msg("%s: %s", g->path, why);
	}
	golden_free(g);
}

static void every_golden_file_decodes_as_recorded(void **state)
{
	glob_t gl;
	size_t i;

	(void)state;
	assert_int_equal(glob(GOLDEN_DIR "/envelopes-*.bin", 0, NULL, &gl), 0);
	for (i = 0; i < gl.gl_pathc; i++) {
		check_golden(gl.gl_pathv[i]);
		print_message("%s: every field as recorded\n", gl.gl_pathv[i]);
	}
	globfree(&gl);
}

static int message_unset(const ProtobufCMessage *m, const char *path, char *why, size_t len);

/* 1 when the value of f at p is proto3's default (or, for a message, holds one). */
static int value_unset(const ProtobufCFieldDescriptor *f, const void *p, const char *path,
		       char *why, size_t len)
{
	int zero;

	switch (f->type) {
	case PROTOBUF_C_TYPE_MESSAGE:
		if (!*(ProtobufCMessage *const *)p)
			return snprintf(why, len, "%s is unset", path), 1;
		return message_unset(*(ProtobufCMessage *const *)p, path, why, len);
	case PROTOBUF_C_TYPE_STRING:
		zero = !*(char *const *)p || !**(char *const *)p;
		break;
	case PROTOBUF_C_TYPE_BYTES:
		zero = !((const ProtobufCBinaryData *)p)->len;
		break;
	case PROTOBUF_C_TYPE_BOOL:
		zero = !*(const protobuf_c_boolean *)p;
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		zero = *(const float *)p == 0;
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		zero = *(const double *)p == 0;
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		zero = !*(const uint64_t *)p;
		break;
	default:	/* 32-bit integers and enums */
		zero = !*(const uint32_t *)p;
	}
	return zero ? (snprintf(why, len, "%s is unset", path), 1) : 0;
}

/* Element size of a repeated field of type t (protobuf-c's arrays). */
static size_t repeated_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	default:
		return 4;
	}
}

/*
 * Every field of the current .proto set in m, through its descriptor: a field
 * (or sub-message) the generator leaves unset would go untested in later
 * releases. Members of a oneof other than the one set are skipped.
 */
static int message_unset(const ProtobufCMessage *m, const char *path, char *why, size_t len)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	char sub[512];

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		size_t n;

		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", path, f->name);
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			if (value_unset(f, base + f->offset, sub, why, len))
				return 1;
			continue;
		}
		n = *(const size_t *)(base + f->quantifier_offset);
		if (!n)
			return snprintf(why, len, "%s is empty", sub), 1;
		for (size_t k = 0; k < n; k++)
			if (value_unset(f, *(char *const *)(base + f->offset) +
					   k * repeated_size(f->type), sub, why, len))
				return 1;
	}
	return 0;
}

/* This release's file holds one envelope of each event kind, with every field set. */
static void current_release_has_every_kind_and_field(void **state)
{
	const ProtobufCMessageDescriptor *d = &hostmon__v1__envelope__descriptor;
	const char *bin_path = GOLDEN_DIR "/envelopes-" HOSTMON_VERSION ".bin";
	struct golden *g;
	char why[1024], path[64];
	size_t i, k, found;

	(void)state;
	if (access(bin_path, R_OK))
		fail_msg("no golden file for release %s (%s): run make golden", HOSTMON_VERSION,
			 bin_path);
	g = golden_load(bin_path);
	for (i = 0; i < g->n_decoded; i++) {
		snprintf(path, sizeof(path), "envelope[%zu]", i);
		if (message_unset(&g->envs[i]->base, path, why, sizeof(why)))
			fail_msg("%s: %s: add it to tests/golden/records.jsonl", bin_path, why);
	}
	for (k = 0; k < d->n_fields; k++) {
		if (!(d->fields[k].flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			continue;
		for (i = 0, found = 0; i < g->n_decoded; i++)
			found += json_object_object_get_ex(g->decoded[i], d->fields[k].name, NULL);
		if (found != 1)
			fail_msg("%s: %zu envelopes of kind %s, expected 1", bin_path, found,
				 d->fields[k].name);
	}
	golden_free(g);
}

static const char golden_want[] = "{\"seq\":18446744073709551615,\"m\":{\"a\":[1,2],\"s\":\"x\"}}";

/* The comparison itself finds a changed value, a vanished field, a set new one. */
static void comparison_finds_differences(void **state)
{
	static const struct {
		const char *got, *why;
	} cases[] = {
		{ "{\"seq\":18446744073709551614,\"m\":{\"a\":[1,2],\"s\":\"x\"}}",
		  "e.seq: expected 18446744073709551615, decoded 18446744073709551614" },
		{ "{\"seq\":18446744073709551615,\"m\":{\"a\":[1,2]}}",
		  "e.m.s: in the golden file, not decoded now" },
		{ "{\"seq\":18446744073709551615,\"m\":{\"a\":[1],\"s\":\"x\"}}",
		  "e.m.a: expected 2 elements, decoded 1" },
		{ "{\"seq\":18446744073709551615,\"m\":{\"a\":[1,2],\"s\":\"x\",\"n\":3}}",
		  "e.m.n: not in the golden file, decoded as 3" },
	};
	struct json_object *want = json_tokener_parse(golden_want), *got;
	char why[1024];

	(void)state;
	assert_false(differ(want, want, "e", why, sizeof(why)));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = json_tokener_parse(cases[i].got);
		assert_true(differ(want, got, "e", why, sizeof(why)));
		assert_string_equal(why, cases[i].why);
		json_object_put(got);
	}
	json_object_put(want);
}

/* Fields added after a release decode as their defaults: no difference. */
static void newer_fields_at_default_match(void **state)
{
	struct json_object *want = json_tokener_parse(golden_want);
	struct json_object *got = json_tokener_parse(
		"{\"seq\":18446744073709551615,\"m\":{\"a\":[1,2],\"s\":\"x\",\"n\":0,"
		"\"e\":\"KIND_UNSPECIFIED\",\"o\":{},\"r\":[],\"b\":false,\"t\":\"\"}}");
	char why[1024];

	(void)state;
	if (differ(want, got, "e", why, sizeof(why)))
		fail_msg("expected no difference, got %s", why);
	json_object_put(got);
	json_object_put(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(comparison_finds_differences),
		cmocka_unit_test(newer_fields_at_default_match),
		cmocka_unit_test(current_release_has_every_kind_and_field),
		cmocka_unit_test(every_golden_file_decodes_as_recorded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
