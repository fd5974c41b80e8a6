/* Unit tests of agent/daemon/lifecycle.c: the transition table, refused transitions, what each change reports. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "daemon/lifecycle.h"

struct changes {
	int n;
	enum agent_state from, to;
	char cause[64];
};

static void on_change(void *ctx, enum agent_state from, enum agent_state to, const char *cause)
{
	struct changes *c = ctx;

	c->n++;
	c->from = from;
	c->to = to;
	strncpy(c->cause, cause, sizeof(c->cause) - 1);
}

/* The whole table, written out again here: a change to it must be deliberate. */
static void test_table_allows_exactly_the_documented_transitions(void **state)
{
	static const char *const allowed[] = {
		"starting>running", "starting>degraded", "starting>stopped",
		"running>degraded", "running>draining",
		"degraded>running", "degraded>draining",
		"draining>stopped",
	};
	char pair[32];
	int found;

	(void)state;
	for (int from = 0; from < AGENT_STATE_MAX; from++) {
		for (int to = 0; to < AGENT_STATE_MAX; to++) {
			snprintf(pair, sizeof(pair), "%s>%s", agent_state_name(from), agent_state_name(to));
			found = 0;
			for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
				found |= !strcmp(pair, allowed[i]);
			if (lifecycle_allowed(from, to) != found)
				fail_msg("%s: table says %d, expected %d", pair,
					 lifecycle_allowed(from, to), found);
		}
	}
	assert_false(lifecycle_allowed(AGENT_STATE_MAX, AGENT_RUNNING));
	assert_false(lifecycle_allowed(AGENT_RUNNING, -1));
}

static void test_a_run_reports_every_change_with_its_cause(void **state)
{
	struct changes c = { 0 };
	struct lifecycle *lc = lifecycle__new(on_change, &c);

	(void)state;
	assert_non_null(lc);
	assert_int_equal(lifecycle__state(lc), AGENT_STARTING);
	assert_int_equal(lifecycle__to(lc, AGENT_RUNNING, "probes attached"), 1);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.from, AGENT_STARTING);
	assert_int_equal(c.to, AGENT_RUNNING);
	assert_string_equal(c.cause, "probes attached");
	/* Same state: nothing to announce. */
	assert_int_equal(lifecycle__to(lc, AGENT_RUNNING, "again"), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(lifecycle__cause(lc), "probes attached");
	assert_int_equal(lifecycle__to(lc, AGENT_DEGRADED, "probe family net failed: x"), 1);
	assert_int_equal(lifecycle__to(lc, AGENT_DRAINING, "signal SIGTERM"), 1);
	assert_int_equal(lifecycle__to(lc, AGENT_STOPPED, "signal SIGTERM"), 1);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.from, AGENT_DRAINING);
	assert_int_equal(lifecycle__state(lc), AGENT_STOPPED);
	assert_true(lifecycle__since_ns(lc) > 0);
	lifecycle__free(lc);
}

static void test_refused_transition_keeps_state_and_reports_nothing(void **state)
{
	struct changes c = { 0 };
	struct lifecycle *lc = lifecycle__new(on_change, &c);

	(void)state;
	assert_int_equal(lifecycle__to(lc, AGENT_DRAINING, "too early"), -EINVAL);
	assert_int_equal(lifecycle__state(lc), AGENT_STARTING);
	assert_int_equal(lifecycle__to(lc, AGENT_RUNNING, "probes attached"), 1);
	assert_int_equal(lifecycle__to(lc, AGENT_STOPPED, "skipping draining"), -EINVAL);
	assert_int_equal(lifecycle__state(lc), AGENT_RUNNING);
	assert_string_equal(lifecycle__cause(lc), "probes attached");
	assert_int_equal(c.n, 1);
	assert_int_equal(lifecycle__to(lc, AGENT_DRAINING, "signal SIGINT"), 1);
	assert_int_equal(lifecycle__to(lc, AGENT_STOPPED, "signal SIGINT"), 1);
	/* Stopped is final. */
	for (int to = 0; to < AGENT_STATE_MAX; to++)
		if (to != AGENT_STOPPED)
			assert_int_equal(lifecycle__to(lc, to, "after the end"), -EINVAL);
	assert_int_equal(c.n, 3);
	lifecycle__free(lc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_allows_exactly_the_documented_transitions),
		cmocka_unit_test(test_a_run_reports_every_change_with_its_cause),
		cmocka_unit_test(test_refused_transition_keeps_state_and_reports_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
