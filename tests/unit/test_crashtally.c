/* Crash records by exe per window, and which crash is hostmonctl selftest's canary. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "probes/crashtally.h"

static void canary_needs_comm_exe_signal_and_no_sender(void **state)
{
	(void)state;
	assert_true(crashtally_is_canary("hostmon-canary", "/usr/local/bin/hostmonctl", SIGSEGV, 0));
	assert_true(crashtally_is_canary("hostmon-canary", "hostmonctl", SIGSEGV, 0));
	assert_false(crashtally_is_canary("hostmonctl", "/usr/local/bin/hostmonctl", SIGSEGV, 0));
	assert_false(crashtally_is_canary("hostmon-canary", "/usr/bin/python3", SIGSEGV, 0));
	assert_false(crashtally_is_canary("hostmon-canary", "/opt/hostmonctl2", SIGSEGV, 0));
	assert_false(crashtally_is_canary("hostmon-canary", NULL, SIGSEGV, 0));
	assert_false(crashtally_is_canary("hostmon-canary", "/usr/local/bin/hostmonctl", SIGABRT, 0));
	assert_false(crashtally_is_canary("hostmon-canary", "/usr/local/bin/hostmonctl", SIGSEGV, 42));
}

struct seen {
	char text[8192];
	size_t rows;
};

static void collect(void *ctx, const char *exe, uint64_t count)
{
	struct seen *s = ctx;
	size_t len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s=%llu;", exe, (unsigned long long)count);
	s->rows++;
}

static void counts_by_exe_comm_when_unknown(void **state)
{
	struct crashtally *t = crashtally__new();
	struct seen s = { "", 0 };

	(void)state;
	assert_non_null(t);
	assert_int_equal(crashtally__add(t, "/bin/a", "a"), 0);
	assert_int_equal(crashtally__add(t, "/bin/b", "b"), 0);
	assert_int_equal(crashtally__add(t, "/bin/a", "a"), 0);
	assert_int_equal(crashtally__add(t, NULL, "gone"), 0);
	assert_int_equal(crashtally__add(t, "", "gone"), 0);
	crashtally__each(t, collect, &s);
	assert_string_equal(s.text, "/bin/a=2;/bin/b=1;[gone]=2;");
	crashtally__reset(t);
	s.text[0] = '\0';
	s.rows = 0;
	crashtally__each(t, collect, &s);
	assert_int_equal(s.rows, 0);
	crashtally__free(t);
}

static void bounded_rest_under_other(void **state)
{
	struct crashtally *t = crashtally__new();
	struct seen s = { "", 0 };
	char exe[32];

	(void)state;
	for (int i = 0; i < CRASHTALLY_MAX_EXES + 10; i++) {
		snprintf(exe, sizeof(exe), "/bin/x%d", i);
		assert_int_equal(crashtally__add(t, exe, "x"), 0);
	}
	assert_int_equal(crashtally__add(t, "/bin/x0", "x"), 0);	/* listed already */
	crashtally__each(t, collect, &s);
	assert_int_equal(s.rows, CRASHTALLY_MAX_EXES + 1);
	assert_non_null(strstr(s.text, "/bin/x0=2;"));
	assert_non_null(strstr(s.text, CRASHTALLY_OTHER "=10;"));
	assert_null(strstr(s.text, "/bin/x64="));
	crashtally__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(canary_needs_comm_exe_signal_and_no_sender),
		cmocka_unit_test(counts_by_exe_comm_when_unknown),
		cmocka_unit_test(bounded_rest_under_other),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
