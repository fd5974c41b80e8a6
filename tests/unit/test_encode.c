/* Kernel bytes in JSON lines: odd comms come out as valid JSON that round-trips (record__text, then the JSON writer). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "record/pbjson.h"
#include "record/record.h"

/*
 * Puts buf (maxlen bytes) in a record as the agent does with a comm
 * (record__text), writes its JSON line (agent/record/pbjson.c), parses it back and
 * returns the string.
 */
static const char *round_trip(const char *buf, size_t maxlen, struct json_object **keep)
{
	struct record rec = { 0 };
	struct pbjson_buf line = { 0 };
	struct json_object *parsed, *comm;

	record__reset(&rec, FLOW_SLOW_SYSCALL);
	rec.ev.slow_syscall.comm = record__text(&rec, buf, maxlen);
	assert_int_equal(pbjson_write(&line, &rec.env.base, PBJSON_LINES), 0);
	assert_null(strchr(line.data, '\n'));
	parsed = json_tokener_parse(line.data);
	if (!parsed)
		fail_msg("not valid JSON: %s", line.data);
	pbjson_buf_free(&line);
	record__fini(&rec);
	assert_true(json_object_object_get_ex(parsed, "comm", &comm));
	*keep = parsed;
	return json_object_get_string(comm);
}

static void check(const char *buf, size_t maxlen, const char *expected)
{
	struct json_object *keep;
	const char *got = round_trip(buf, maxlen, &keep);

	if (strcmp(got, expected) != 0)
		fail_msg("expected \"%s\", got \"%s\"", expected, got);
	json_object_put(keep);
}

static void plain_comm_unchanged(void **state)
{
	(void)state;
	check("nginx", 16, "nginx");
}

static void quotes_and_backslashes_escaped(void **state)
{
	(void)state;
	check("a\"b\\c", 16, "a\"b\\c");
}

static void control_characters_escaped(void **state)
{
	(void)state;
	check("a\nb\tc\x01\x1f", 16, "a\nb\tc\x01\x1f");
}

static void slashes_not_escaped_in_paths(void **state)
{
	struct record rec = { 0 };
	struct pbjson_buf line = { 0 };

	(void)state;
	record__reset(&rec, FLOW_SLOW_SYSCALL);
	rec.ev.slow_syscall.exe = record__text(&rec, "/usr/bin/x", 64);
	assert_int_equal(pbjson_write(&line, &rec.env.base, PBJSON_LINES), 0);
	assert_non_null(strstr(line.data, ",\"exe\":\"/usr/bin/x\","));
	pbjson_buf_free(&line);
	record__fini(&rec);
}

static void invalid_bytes_become_replacement_char(void **state)
{
	(void)state;
	check("a\xff" "b", 16, "a\xef\xbf\xbd" "b");
	check("\xc3", 16, "\xef\xbf\xbd");			/* truncated sequence */
	check("\xc0\xaf", 16, "\xef\xbf\xbd\xef\xbf\xbd");	/* overlong '/' */
	check("\xed\xa0\x80", 16, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	check("\xf4\x90\x80\x80", 16,
	      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");	/* above U+10FFFF */
}

static void valid_multibyte_kept(void **state)
{
	(void)state;
	check("caf\xc3\xa9 \xf0\x9f\x94\xa5", 16, "caf\xc3\xa9 \xf0\x9f\x94\xa5");
}

static void unterminated_comm_stops_at_maxlen(void **state)
{
	char comm[16];

	(void)state;
	memset(comm, 'x', sizeof(comm));	/* no NUL: the kernel's buffer is full */
	check(comm, sizeof(comm), "xxxxxxxxxxxxxxxx");
}

static void multibyte_cut_by_maxlen_is_replaced(void **state)
{
	(void)state;
	/* A 2-byte character whose second byte lies beyond maxlen. */
	check("abc\xc3\xa9", 4, "abc\xef\xbf\xbd");
}

static void empty_comm_is_empty_string(void **state)
{
	(void)state;
	check("", 16, "");
}

static void all_bytes_round_trip_as_valid_json(void **state)
{
	char buf[256];
	struct json_object *keep;

	(void)state;
	for (int i = 1; i < 256; i++)
		buf[i - 1] = (char)i;
	buf[255] = 0;
	round_trip(buf, sizeof(buf), &keep);
	json_object_put(keep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_comm_unchanged),
		cmocka_unit_test(quotes_and_backslashes_escaped),
		cmocka_unit_test(control_characters_escaped),
		cmocka_unit_test(slashes_not_escaped_in_paths),
		cmocka_unit_test(invalid_bytes_become_replacement_char),
		cmocka_unit_test(valid_multibyte_kept),
		cmocka_unit_test(unterminated_comm_stops_at_maxlen),
		cmocka_unit_test(multibyte_cut_by_maxlen_is_replaced),
		cmocka_unit_test(empty_comm_is_empty_string),
		cmocka_unit_test(all_bytes_round_trip_as_valid_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
