/* The JSON-lines encoder (agent/record/pbjson.c): every field has a rule, the rules give today's JSON lines, nulls and omissions as documented. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "record/pbjson.h"
#include "core/version.h"
#include "record/record.h"
#include "record/hist.h"
#include "proto/hostmon.pb-c.h"

static void every_field_has_a_json_rule(void **state)
{
	char err[256] = "";

	(void)state;
	if (pbjson_check_rules(&hostmon__v1__envelope__descriptor, err, sizeof(err)))
		fail_msg("%s", err);
}

/* The check fails on fields it has no entry for: a map entry type is not in the .proto. */
static void check_names_a_field_without_rule(void **state)
{
	char err[256] = "";

	(void)state;
	assert_int_equal(pbjson_check_rules(&hostmon__v1__syscall_window__errnos_entry__descriptor,
					    err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ErrnosEntry.key has no JSON rule"));
}

/* 1 and the path printed at the first difference; doubles by value, other scalars by text. */
/* A value a field added after a release has when that release's envelope is decoded. */
static bool is_default(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return true;
	case json_type_boolean:
		return !json_object_get_boolean(v);
	case json_type_int:
		return json_object_get_uint64(v) == 0;
	case json_type_string:
		return !json_object_get_string_len(v);
	case json_type_object:
		return json_object_object_length(v) == 0;
	case json_type_array:
		return json_object_array_length(v) == 0;
	default:
		return false;
	}
}

/*
 * got is want, field by field; for an older release's line (older), got
 * may also hold the fields added since, at their defaults.
 */
static int differ(struct json_object *want, struct json_object *got, const char *path, bool older)
{
	char sub[512];

	if (json_object_get_type(want) != json_object_get_type(got)) {
		printf("# %s: expected %s, got %s\n", path, json_object_to_json_string(want),
		       json_object_to_json_string(got));
		return 1;
	}
	if (json_object_is_type(want, json_type_object)) {
		json_object_object_foreach(got, gkey, gv) {
			if (json_object_object_get_ex(want, gkey, NULL) || (older && is_default(gv)))
				continue;
			printf("# %s.%s: unexpected %s\n", path, gkey, json_object_to_json_string(gv));
			return 1;
		}
		json_object_object_foreach(want, key, w) {
			struct json_object *g;

			snprintf(sub, sizeof(sub), "%s.%s", path, key);
			if (!json_object_object_get_ex(got, key, &g)) {
				printf("# %s: missing\n", sub);
				return 1;
			}
			if (differ(w, g, sub, older))
				return 1;
		}
		return 0;
	}
	if (json_object_is_type(want, json_type_array)) {
		if (json_object_array_length(want) != json_object_array_length(got)) {
			printf("# %s: expected %zu elements, got %zu\n", path,
			       json_object_array_length(want), json_object_array_length(got));
			return 1;
		}
		for (size_t i = 0; i < json_object_array_length(want); i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (differ(json_object_array_get_idx(want, i), json_object_array_get_idx(got, i), sub,
				   older))
				return 1;
		}
		return 0;
	}
	if (json_object_is_type(want, json_type_double) ?
	    json_object_get_double(want) == json_object_get_double(got) :
	    !strcmp(json_object_to_json_string(want), json_object_to_json_string(got)))
		return 0;
	printf("# %s: expected %s, got %s\n", path, json_object_to_json_string(want),
	       json_object_to_json_string(got));
	return 1;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(1 << 20);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static size_t varint(const uint8_t *buf, size_t len, size_t *off)
{
	size_t v = 0;

	for (int shift = 0; *off < len && shift < 64; shift += 7) {
		uint8_t b = buf[(*off)++];

		v |= (size_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	return v;
}

/*
 * tests/golden: records-0.1.0.jsonl are the JSON lines the 0.1.0 agent wrote,
 * envelopes-0.1.0.bin the envelopes its converter packed from them;
 * records.jsonl and this release's .bin are their successors (the lines
 * gained the fields added since). Both directions must hold for each pair:
 * each envelope written by the rules is its JSON line, field by field; each
 * JSON line read by the rules packs to the same bytes.
 */
static void envelopes_are_their_json_lines(const char *records_path, const char *bin_path,
					   bool older)
{
	FILE *records = fopen(records_path, "r");
	size_t len, off = 0, n, cap = 0, i = 0;
	uint8_t *bin = slurp(bin_path, &len);
	char *line = NULL, path[32];
	int bad = 0;

	print_message("%s and %s\n", records_path, bin_path);
	assert_non_null(records);
	while (off < len && getline(&line, &cap, records) > 0) {
		struct json_object *want = json_tokener_parse(line), *got;
		Hostmon__V1__Envelope *env, *read;
		uint8_t *packed;

		n = varint(bin, len, &off);
		env = hostmon__v1__envelope__unpack(NULL, n, bin + off);
		assert_non_null(env);
		got = pbjson_object(&env->base, PBJSON_LINES);
		assert_non_null(got);
		snprintf(path, sizeof(path), "record[%zu]", i++);
		bad |= differ(want, got, path, older);
		read = (Hostmon__V1__Envelope *)pbjson_read(want, &hostmon__v1__envelope__descriptor);
		assert_non_null(read);
		read->instance_id = strdup(env->instance_id);
		read->agent_version = strdup(env->agent_version);
		if (read->event_case == HOSTMON__V1__ENVELOPE__EVENT_METRICS) {
			/* The bucket bounds are the schema's constant, not in the line. */
			read->metrics->n_bucket_le_ns = HIST_LE_COUNT;
			read->metrics->bucket_le_ns = malloc(sizeof(hist_le_ns));
			memcpy(read->metrics->bucket_le_ns, hist_le_ns, sizeof(hist_le_ns));
		}
		assert_int_equal(hostmon__v1__envelope__get_packed_size(read), n);
		packed = malloc(n);
		hostmon__v1__envelope__pack(read, packed);
		if (memcmp(packed, bin + off, n)) {
			printf("# %s: read back from its JSON line, packs to other bytes\n", path);
			bad = 1;
		}
		free(packed);
		hostmon__v1__envelope__free_unpacked(read, NULL);
		hostmon__v1__envelope__free_unpacked(env, NULL);
		json_object_put(want);
		json_object_put(got);
		off += n;
	}
	assert_int_equal(i, 6);
	free(line);
	free(bin);
	fclose(records);
	assert_false(bad);
}

static void golden_envelopes_are_the_recorded_json_lines(void **state)
{
	(void)state;
	envelopes_are_their_json_lines(GOLDEN_DIR "/records-0.1.0.jsonl",
				       GOLDEN_DIR "/envelopes-0.1.0.bin", true);
	envelopes_are_their_json_lines(GOLDEN_DIR "/records.jsonl",
				       GOLDEN_DIR "/envelopes-" HOSTMON_VERSION ".bin", false);
}

/* The record's JSON line, parsed. */
static struct json_object *line_of(struct record *rec)
{
	struct json_object *obj = pbjson_object(&rec->env.base, PBJSON_LINES);

	assert_non_null(obj);
	return obj;
}

static void expect_json(struct json_object *obj, const char *key, const char *text)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v))
		fail_msg("\"%s\": expected %s, missing from %s", key, text, json_object_to_json_string(obj));
	if (strcmp(json_object_to_json_string(v), text))
		fail_msg("\"%s\": expected %s, got %s", key, text, json_object_to_json_string(v));
}

static void expect_absent(struct json_object *obj, const char *key)
{
	if (json_object_object_get_ex(obj, key, NULL))
		fail_msg("\"%s\": expected absent in %s", key, json_object_to_json_string(obj));
}

static void unknown_metadata_is_null_success_has_no_error(void **state)
{
	struct record rec = { 0 };
	struct json_object *o;

	(void)state;
	record__reset(&rec, FLOW_SLOW_SYSCALL);
	rec.env.seq = 7;
	rec.ev.slow_syscall.ret = 3;
	o = line_of(&rec);
	expect_json(o, "type", "\"slow_syscall\"");
	expect_json(o, "seq", "7");
	expect_json(o, "exe", "null");
	expect_json(o, "cgroup", "null");
	expect_json(o, "container_id", "null");
	expect_json(o, "comm", "\"\"");
	expect_absent(o, "error");
	expect_absent(o, "instance_id");
	expect_absent(o, "agent_version");
	expect_absent(o, "slow_syscall");
	json_object_put(o);
	rec.ev.slow_syscall.ret = -2;
	rec.ev.slow_syscall.error = "ENOENT";
	o = line_of(&rec);
	expect_json(o, "error", "\"ENOENT\"");
	expect_json(o, "ret", "-2");
	json_object_put(o);
	record__fini(&rec);
}

static void reset_sent_has_null_error_and_no_duration(void **state)
{
	struct record rec = { 0 };
	struct json_object *o;

	(void)state;
	record__reset(&rec, FLOW_CONN_ERROR);
	rec.ev.conn_error.kind = HOSTMON__V1__CONN_ERROR_KIND__CONN_ERROR_KIND_RESET_SENT;
	rec.ev.conn_error.family = HOSTMON__V1__ADDRESS_FAMILY__ADDRESS_FAMILY_IPV6;
	rec.ev.conn_error.duration_ns = 5;	/* ignored: not a connect */
	o = line_of(&rec);
	expect_json(o, "errno", "0");
	expect_json(o, "error", "null");
	expect_json(o, "kind", "\"reset_sent\"");
	expect_json(o, "family", "\"ipv6\"");
	expect_json(o, "connect", "false");
	expect_absent(o, "duration_ns");
	expect_absent(o, "errnum");
	json_object_put(o);
	rec.ev.conn_error.connect = 1;
	rec.ev.conn_error.duration_ns = 0;
	o = line_of(&rec);
	expect_json(o, "duration_ns", "0");
	json_object_put(o);
	record__fini(&rec);
}

static void crash_without_sender_has_no_sender_fields(void **state)
{
	struct record rec = { 0 };
	struct json_object *o;

	(void)state;
	record__reset(&rec, FLOW_PROCESS_CRASH);
	rec.ev.process_crash.signal = 11;
	o = line_of(&rec);
	expect_absent(o, "sender_pid");
	expect_absent(o, "sender_comm");
	expect_json(o, "exe", "null");
	expect_json(o, "container_id", "null");
	expect_json(o, "cgroup", "\"\"");
	expect_json(o, "core_dumped", "false");
	json_object_put(o);
	rec.ev.process_crash.sender_pid = 9;
	o = line_of(&rec);
	expect_json(o, "sender_pid", "9");
	expect_json(o, "sender_comm", "\"\"");
	json_object_put(o);
	record__fini(&rec);
}

/* Bytes a kernel string may carry come out as JSON that reads back to the same text. */
static void strings_are_escaped(void **state)
{
	const char *nasty = "a\"b\\c\nd\x01" "e/\xc3\xa9";
	struct record rec = { 0 };
	struct json_object *o, *v;

	(void)state;
	record__reset(&rec, FLOW_OOM_KILL);
	rec.ev.oom_kill.comm = (char *)nasty;
	rec.ev.oom_kill.oom_score_adj = -1000;
	o = line_of(&rec);
	assert_true(json_object_object_get_ex(o, "comm", &v));
	assert_string_equal(json_object_get_string(v), nasty);
	expect_json(o, "oom_score_adj", "-1000");
	json_object_put(o);
	record__fini(&rec);
}

/* Doubles: always JSON reals, the shortest text; hit_ratio null only without lookups. */
static void doubles_and_hit_ratio(void **state)
{
	Hostmon__V1__AgentSelf self = HOSTMON__V1__AGENT_SELF__INIT;
	Hostmon__V1__PidCache pc = HOSTMON__V1__PID_CACHE__INIT;
	struct json_object *o, *p;

	(void)state;
	self.pid_cache = &pc;
	self.cpu_percent = 12.5;
	self.ring_fill_max = 0.1;
	o = pbjson_object(&self.base, PBJSON_LINES);
	expect_json(o, "cpu_percent", "12.5");
	expect_json(o, "ring_fill_max", "0.1");
	assert_true(json_object_object_get_ex(o, "pid_cache", &p));
	expect_json(p, "hit_ratio", "null");
	json_object_put(o);
	pc.misses = 4;
	self.cpu_percent = 0;
	o = pbjson_object(&self.base, PBJSON_LINES);
	expect_json(o, "cpu_percent", "0.0");
	assert_true(json_object_object_get_ex(o, "pid_cache", &p));
	assert_true(json_object_is_type(json_object_object_get(p, "hit_ratio"), json_type_double));
	json_object_put(o);
}

/* A family that did not run leaves its keys out; one that ran with nothing to say writes them empty. */
static void metrics_keys_follow_the_families(void **state)
{
	static const uint64_t le[] = { 1000, 2000 };
	struct record rec = { 0 };
	struct json_object *o;

	(void)state;
	record__reset(&rec, FLOW_METRICS);
	o = line_of(&rec);
	expect_absent(o, "syscalls");
	expect_absent(o, "oom_kills");
	expect_absent(o, "exits_nonzero");
	expect_absent(o, "crashes");
	expect_absent(o, "connections");
	expect_absent(o, "bucket_le_ns");
	json_object_put(o);
	rec.ev.metrics.n_bucket_le_ns = 2;
	rec.ev.metrics.bucket_le_ns = (uint64_t *)le;
	rec.ev.metrics.crashes = record__msg(&rec, &hostmon__v1__crashes__descriptor);
	o = line_of(&rec);
	expect_json(o, "syscalls", "[ ]");
	expect_json(o, "oom_kills", "0");
	expect_json(o, "exits_nonzero", "{ }");
	expect_absent(o, "bucket_le_ns");
	json_object_put(o);
	record__fini(&rec);
}

/* Integers exact at every digit count, both signs. */
static void integers_exact(void **state)
{
	static const uint64_t u[] = { 0, 7, 10, 99, 100, 101, 999, 1000, 1234567890123ULL, UINT64_MAX };
	struct record rec = { 0 };
	char want[32];
	struct json_object *o;

	(void)state;
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		record__reset(&rec, FLOW_SLOW_SYSCALL);
		rec.ev.slow_syscall.latency_ns = u[i];
		rec.ev.slow_syscall.ret = -(int64_t)(u[i] >> 1);
		o = line_of(&rec);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)u[i]);
		expect_json(o, "latency_ns", want);
		snprintf(want, sizeof(want), "%lld", -(long long)(u[i] >> 1));
		expect_json(o, "ret", want);
		json_object_put(o);
	}
	record__fini(&rec);
}

/* The .proto's shape for hostmon-consume: .proto names, enum value names, "type" first. */
static void proto_mode_keeps_proto_names(void **state)
{
	struct record rec = { 0 };
	struct pbjson_buf b = { 0 };

	(void)state;
	record__reset(&rec, FLOW_CONN_ERROR);
	rec.ev.conn_error.errnum = 111;
	rec.ev.conn_error.kind = HOSTMON__V1__CONN_ERROR_KIND__CONN_ERROR_KIND_REFUSED;
	assert_int_equal(pbjson_write(&b, &rec.env.base, PBJSON_PROTO_TYPED), 0);
	assert_non_null(strstr(b.data, "{\"type\":\"conn_error\","));
	assert_non_null(strstr(b.data, "\"conn_error\":{"));
	assert_non_null(strstr(b.data, "\"errnum\":111"));
	assert_non_null(strstr(b.data, "\"kind\":\"CONN_ERROR_KIND_REFUSED\""));
	assert_non_null(strstr(b.data, "\"instance_id\":\"\""));
	pbjson_buf_free(&b);
	record__fini(&rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_field_has_a_json_rule),
		cmocka_unit_test(check_names_a_field_without_rule),
		cmocka_unit_test(golden_envelopes_are_the_recorded_json_lines),
		cmocka_unit_test(unknown_metadata_is_null_success_has_no_error),
		cmocka_unit_test(reset_sent_has_null_error_and_no_duration),
		cmocka_unit_test(crash_without_sender_has_no_sender_fields),
		cmocka_unit_test(strings_are_escaped),
		cmocka_unit_test(doubles_and_hit_ratio),
		cmocka_unit_test(integers_exact),
		cmocka_unit_test(metrics_keys_follow_the_families),
		cmocka_unit_test(proto_mode_keeps_proto_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
