/* Unit tests of agent/core/log.c and agent/core/errcode.c: the record format, repeats held back with a count (by their text or by a call site's limit), the code table against docs/errors.md. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/log.h"

#ifndef DOCS_DIR
#error "DOCS_DIR (docs) is set by the Makefile"
#endif

static char text[65536];

/* Everything logged since the last call (the logger writes to a temporary file). */
static const char *logged(void)
{
	static FILE *f;
	size_t n;

	if (!f) {
		f = tmpfile();
		assert_non_null(f);
		log_set_fd(fileno(f));
	}
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	assert_int_equal(ftruncate(fileno(f), 0), 0);
	/* The logger writes with write(2) at the descriptor's offset. */
	assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
	return text;
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void must_contain(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected '%s' in:\n%s", needle, hay);
}

/* Since before: errors (all of them with code) and suppressed. */
static void must_have_counted(const struct log_counts *before, uint64_t errors,
			      uint64_t suppressed, enum errcode code)
{
	struct log_counts after;

	log_get_counts(&after);
	assert_int_equal(after.errors - before->errors, errors);
	assert_int_equal(after.suppressed - before->suppressed, suppressed);
	assert_int_equal(after.by_code[code] - before->by_code[code], errors);
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_LEVEL_INFO);
	log_flush_repeats(1);
	(void)logged();
	return 0;
}

static void test_error_record_has_every_key_in_order(void **state)
{
	const char *t;

	(void)state;
	log_error("spool", HM_E_SPOOL_WRITE,
		  LOG_FIELDS(LF_STR("path", "/var/lib/hostmon spool"), LF_ERRNO(ENOSPC), LF_INT("offset", 4096)),
		  "writing segment %d failed: %s", 7, strerror(ENOSPC));
	t = logged();
	assert_int_equal(count_of(t, "\n"), 1);
	assert_int_equal(strncmp(t, "ts=", 3), 0);
	assert_true(t[26] == 'Z' && t[27] == ' ');	/* ts=YYYY-MM-DDTHH:MM:SS.mmmZ */
	must_contain(t, "Z level=error component=spool code=HM404 msg=\"writing segment 7 failed: "
		     "No space left on device\" path=\"/var/lib/hostmon spool\" errno=ENOSPC offset=4096\n");
}

static void test_values_are_quoted_and_escaped_onto_one_line(void **state)
{
	const char *t;

	(void)state;
	log_warn("net", HM_E_PROBE_FAILED, LOG_FIELDS(LF_STR("probe", "a=b"), LF_STR("empty", "")),
		 "verifier said:\n\"R1 invalid\"\tback\\slash \x01");
	t = logged();
	assert_int_equal(count_of(t, "\n"), 1);
	must_contain(t, "msg=\"verifier said:\\n\\\"R1 invalid\\\"\\tback\\\\slash \\x01\" "
		     "probe=\"a=b\" empty=\"\"\n");
}

static void test_info_has_no_code_and_debug_is_off_at_info(void **state)
{
	const char *t;

	(void)state;
	log_info("hostmond", "running");
	log_debug("hostmond", "not shown");
	t = logged();
	must_contain(t, " level=info component=hostmond msg=\"running\"\n");
	assert_null(strstr(t, "code="));
	assert_null(strstr(t, "not shown"));
}

/* Same message, other figures: held back all the same, shown with the latest figures. */
static void test_repeat_with_other_fields_shows_the_latest(void **state)
{
	const char *t;

	(void)state;
	for (int i = 1; i <= 5; i++)
		log_error("jsonl", HM_E_JSONL_WRITE, LOG_FIELDS(LF_INT("lost", i)), "write failed");
	log_error("jsonl", HM_E_JSONL_WRITE, LOG_FIELDS(LF_INT("lost", 6)), "flush failed");
	log_flush_repeats(1);
	t = logged();
	assert_int_equal(count_of(t, "\n"), 3);
	must_contain(t, "msg=\"write failed\" lost=1\n");
	must_contain(t, "msg=\"flush failed\" lost=6\n");
	must_contain(t, "msg=\"write failed\" lost=5 repeated=3\n");
}

static void test_errno_without_a_name_shows_its_number(void **state)
{
	(void)state;
	log_error("kafka", HM_E_SPOOL_READ, LOG_FIELDS(LF_ERRNO(4000)), "odd");
	must_contain(logged(), " errno=4000\n");
}

/* 100 identical errors: one shown, 99 held back; the latest of them shown with the count of the other 98. */
static void test_identical_errors_held_back_with_their_count(void **state)
{
	struct log_counts before;
	const char *t;

	(void)state;
	log_get_counts(&before);
	for (int i = 0; i < 100; i++)
		log_error("kafka", HM_E_KAFKA_BROKER, LOG_FIELDS(LF_STR("brokers", "b:9092")),
			  "brokers b:9092: connection refused");
	log_error("kafka", HM_E_KAFKA_BROKER, LOG_FIELDS(LF_STR("brokers", "c:9092")),
		  "brokers c:9092: connection refused");
	t = logged();
	assert_int_equal(count_of(t, "b:9092: connection refused"), 1);
	assert_int_equal(count_of(t, "c:9092: connection refused"), 1);
	assert_null(strstr(t, "repeated="));
	log_flush_repeats(0);	/* the period is not over: nothing yet */
	assert_null(strstr(logged(), "repeated="));
	log_flush_repeats(1);
	t = logged();
	assert_int_equal(count_of(t, "\n"), 1);
	must_contain(t, "code=HM304 msg=\"brokers b:9092: connection refused\" brokers=b:9092 repeated=98\n");
	must_have_counted(&before, 101, 99, HM_E_KAFKA_BROKER);
}

/* More distinct errors than slots: a held-back count is written before its slot is reused. */
static void test_evicted_repeats_keep_their_count(void **state)
{
	const char *t;

	(void)state;
	log_warn("spool", HM_E_SPOOL_FULL, NULL, "full");
	log_warn("spool", HM_E_SPOOL_FULL, NULL, "full");
	log_warn("spool", HM_E_SPOOL_FULL, NULL, "full");
	for (int i = 0; i < LOG_REPEAT_SLOTS; i++)
		log_warn("spool", HM_E_SPOOL_FULL, NULL, "other %d", i);
	t = logged();
	must_contain(t, "code=HM406 msg=\"full\" repeated=1\n");
	assert_int_equal(count_of(t, "msg=\"full\""), 2);
}

/* One kind of failure whose text varies, limited by its call site's log_limit. */
static void site_error(struct log_limit *l, int reason)
{
	log_limited(l, LOG_LEVEL_ERROR, "kafka", HM_E_KAFKA_BROKER, NULL,
		    "reason %d (%llu since the last line, %llu in all)", reason,
		    (unsigned long long)l->shown_for, (unsigned long long)l->count);
}

/*
 * A call site's limit: the first shown at once whatever its text, the others
 * within the period held back and counted, not shown at a flush; the next one
 * due after the period says how many it stands for.
 */
static void test_call_site_limit_one_per_period_counts_the_rest(void **state)
{
	struct log_limit l = { 0 };
	struct log_counts before;
	const char *t;

	(void)state;
	log_get_counts(&before);
	for (int i = 0; i < 5; i++)
		site_error(&l, i);
	log_flush_repeats(1);
	t = logged();
	assert_int_equal(count_of(t, "\n"), 1);
	must_contain(t, "code=HM304 msg=\"reason 0 (1 since the last line, 1 in all)\"\n");
	must_have_counted(&before, 5, 4, HM_E_KAFKA_BROKER);
	l.shown_ns -= LOG_REPEAT_PERIOD_NS;	/* as if the period were over */
	site_error(&l, 5);
	site_error(&l, 6);
	t = logged();
	assert_int_equal(count_of(t, "\n"), 1);
	must_contain(t, "msg=\"reason 5 (5 since the last line, 6 in all)\"\n");
	assert_null(strstr(t, "repeated="));
	assert_int_equal(l.count, 7);
	assert_int_equal(l.held, 1);
}

/* A record its call site let through is shown even when its text was just shown. */
static void test_call_site_record_not_held_back_by_its_text(void **state)
{
	struct log_limit a = { 0 }, b = { 0 };
	const char *t;

	(void)state;
	log_error("kafka", HM_E_KAFKA_BROKER, NULL, "down");
	log_limited(&a, LOG_LEVEL_ERROR, "kafka", HM_E_KAFKA_BROKER, NULL, "down");
	log_limited(&b, LOG_LEVEL_ERROR, "kafka", HM_E_KAFKA_BROKER, NULL, "down");
	log_flush_repeats(1);
	t = logged();
	assert_int_equal(count_of(t, "code=HM304 msg=\"down\"\n"), 3);
}

/* A level that is off: nothing shown, nothing counted, the arguments not evaluated. */
static void test_call_site_limit_off_level_counts_nothing(void **state)
{
	struct log_limit l = { 0 };
	int evaluated = 0;

	(void)state;
	log_set_level(LOG_LEVEL_ERROR);
	log_limited(&l, LOG_LEVEL_WARN, "kafka", HM_E_KAFKA_BROKER, NULL, "%d", ++evaluated);
	assert_int_equal(l.count, 0);
	assert_int_equal(evaluated, 0);
	assert_int_equal(logged()[0], '\0');
}

/* Every code has a row in docs/errors.md with its category, and every row is a code. */
static void test_every_code_documented_with_its_category(void **state)
{
	char line[2048], code[16], category[32], path[] = DOCS_DIR "/errors.md";
	int rows = 0, documented[HM_E_MAX] = { 0 };
	FILE *f = fopen(path, "r");

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		int i;

		if (sscanf(line, "| %15[A-Z0-9] | %31[a-z] |", code, category) != 2 ||
		    strncmp(code, "HM", 2))
			continue;
		rows++;
		for (i = 1; i < HM_E_MAX && strcmp(errcode_id(i), code); i++)
			;
		if (i == HM_E_MAX)
			fail_msg("%s: %s is not a code in agent/core/errcode.c", path, code);
		if (strcmp(errcode_category(i), category))
			fail_msg("%s: %s is '%s' there, '%s' in agent/core/errcode.c", path, code,
				 category, errcode_category(i));
		if (documented[i]++)
			fail_msg("%s: %s has two rows", path, code);
	}
	fclose(f);
	for (int i = 1; i < HM_E_MAX; i++)
		if (!documented[i])
			fail_msg("%s: no row for %s", path, errcode_id(i));
	assert_int_equal(rows, HM_E_MAX - 1);
	assert_string_equal(errcode_id(HM_E_MAX), "HM000");
	assert_null(errcode_category(HM_E_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_error_record_has_every_key_in_order, setup),
		cmocka_unit_test_setup(test_values_are_quoted_and_escaped_onto_one_line, setup),
		cmocka_unit_test_setup(test_info_has_no_code_and_debug_is_off_at_info, setup),
		cmocka_unit_test_setup(test_errno_without_a_name_shows_its_number, setup),
		cmocka_unit_test_setup(test_repeat_with_other_fields_shows_the_latest, setup),
		cmocka_unit_test_setup(test_identical_errors_held_back_with_their_count, setup),
		cmocka_unit_test_setup(test_evicted_repeats_keep_their_count, setup),
		cmocka_unit_test_setup(test_call_site_limit_one_per_period_counts_the_rest, setup),
		cmocka_unit_test_setup(test_call_site_record_not_held_back_by_its_text, setup),
		cmocka_unit_test_setup(test_call_site_limit_off_level_counts_nothing, setup),
		cmocka_unit_test(test_every_code_documented_with_its_category),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
