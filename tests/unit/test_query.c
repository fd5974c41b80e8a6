/* Query parameters of the stats socket: ranges, unknown and repeated keys, names. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "serve/query.h"

#define ALL (QUERY_SINCE | QUERY_LIMIT | QUERY_SYSCALL | QUERY_TOP | QUERY_LEVEL | \
	     QUERY_CONTAINER | QUERY_TOP_CONTAINERS)

static int add(struct query *q, unsigned int allowed, const char *k, const char *v, char *err)
{
	return query_add(q, allowed, k, v, err, 128);
}

/* value is rejected for key, with a message containing want. */
static void rejects(unsigned int allowed, const char *key, const char *value, const char *want)
{
	struct query q;
	char err[128] = "";

	query_init(&q);
	if (add(&q, allowed, key, value, err) != -EINVAL)
		fail_msg("%s=%s: expected -EINVAL", key, value ? value : "(null)");
	if (!strstr(err, want))
		fail_msg("%s=%s: expected a message with '%s', got '%s'", key, value, want, err);
}

static void defaults(void **state)
{
	struct query q;

	(void)state;
	query_init(&q);
	assert_int_equal(q.given, 0);
	assert_int_equal(q.limit, QUERY_LIMIT_DEFAULT);
	assert_int_equal(q.since, 0);
}

static void numbers_in_range(void **state)
{
	struct query q;
	char err[128];

	(void)state;
	query_init(&q);
	assert_int_equal(add(&q, ALL, "since", "9223372036854775807", err), 0);
	assert_int_equal(add(&q, ALL, "limit", "1000", err), 0);
	assert_int_equal(add(&q, ALL, "top", "1", err), 0);
	assert_true(q.since == INT64_MAX);
	assert_int_equal(q.limit, 1000);
	assert_int_equal(q.top, 1);
	assert_int_equal(q.given, QUERY_SINCE | QUERY_LIMIT | QUERY_TOP);
}

static void numbers_out_of_range(void **state)
{
	(void)state;
	rejects(ALL, "since", "9223372036854775808", "0..9223372036854775807");
	rejects(ALL, "since", "18446744073709551616", "not an integer");
	rejects(ALL, "limit", "0", "1..1000");
	rejects(ALL, "limit", "1001", "1..1000");
	rejects(ALL, "top", "-1", "not an integer");
	rejects(ALL, "top", "+5", "not an integer");
	rejects(ALL, "top", " 5", "not an integer");
	rejects(ALL, "top", "5x", "not an integer");
	rejects(ALL, "top", "0x10", "not an integer");
	rejects(ALL, "since", "", "needs a value");
	rejects(ALL, "since", NULL, "needs a value");
}

static void names(void **state)
{
	struct query q;
	char err[128];

	(void)state;
	query_init(&q);
	assert_int_equal(add(&q, ALL, "syscall", "getppid", err), 0);
	assert_string_equal(q.syscall, "getppid");
	assert_int_equal(add(&q, ALL, "level", "debug", err), 0);
	assert_int_equal(q.level, LOG_LEVEL_DEBUG);
	rejects(ALL, "syscall", "nosuchcall", "not a syscall name");
	rejects(ALL, "syscall", "GETPPID", "not a syscall name");
	rejects(ALL, "level", "verbose", "not error, warn, info or debug");
}

static void containers(void **state)
{
	struct query q;
	char err[128], long_name[300];

	(void)state;
	query_init(&q);
	assert_int_equal(add(&q, ALL, "container", "docker:3f1c0d9e8b7a", err), 0);
	assert_string_equal(q.container, "docker:3f1c0d9e8b7a");
	assert_int_equal(add(&q, ALL, "top_containers", "5", err), 0);
	assert_int_equal(q.top_containers, 5);
	assert_int_equal(q.given, QUERY_CONTAINER | QUERY_TOP_CONTAINERS);
	rejects(ALL, "container", "a b", "not a container id");
	rejects(ALL, "container", "a\x7f", "not a container id");
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	rejects(ALL, "container", long_name, "at most 255 bytes");
	rejects(ALL, "top_containers", "0", "1..1000");
	rejects(QUERY_SYSCALL, "container", "abc", "unknown parameter");
}

static void unknown_repeated_or_not_allowed(void **state)
{
	struct query q;
	char err[128];

	(void)state;
	rejects(ALL, "bogus", "1", "unknown parameter 'bogus'");
	rejects(QUERY_SYSCALL | QUERY_TOP, "since", "1", "unknown parameter 'since'");
	rejects(0, "top", "3", "unknown parameter");
	query_init(&q);
	assert_int_equal(add(&q, ALL, "top", "3", err), 0);
	assert_int_equal(add(&q, ALL, "top", "4", err), -EINVAL);
	assert_non_null(strstr(err, "more than once"));
	assert_int_equal(q.top, 3);
}

static void required(void **state)
{
	struct query q;
	char err[128];

	(void)state;
	query_init(&q);
	assert_int_equal(query_require(&q, QUERY_LEVEL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "level: required");
	assert_int_equal(add(&q, ALL, "level", "warn", err), 0);
	assert_int_equal(query_require(&q, QUERY_LEVEL, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(numbers_in_range),
		cmocka_unit_test(numbers_out_of_range),
		cmocka_unit_test(names),
		cmocka_unit_test(containers),
		cmocka_unit_test(unknown_repeated_or_not_allowed),
		cmocka_unit_test(required),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
