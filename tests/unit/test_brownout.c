/* Unit tests of agent/daemon/brownout.c: when detail events are shed, by priority, and when they come back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "daemon/brownout.h"

static const struct brownout_cfg cfg = {
	.cpu_budget_pct = 2, .fill_high = 0.5, .fill_low = 0.1, .hold_s = 3, .recover_s = 10,
	.recover_max_s = 40, .relapse_s = 30,
};
static char why[200];

static int step(struct brownout *b, double cpu, double fill)
{
	return brownout_step(b, cpu, fill, 0, why, sizeof(why));
}

static void test_within_budget_sheds_nothing(void **state)
{
	struct brownout b;

	(void)state;
	brownout_init(&b, &cfg);
	for (int i = 0; i < 100; i++)
		assert_int_equal(step(&b, 1.99, 0.49), 0);
	assert_int_equal(b.level, SHED_NONE);
}

static void test_cpu_over_budget_sheds_slow_syscalls_at_once_then_conn_errors_after_hold(void **state)
{
	struct brownout b;

	(void)state;
	brownout_init(&b, &cfg);
	assert_int_equal(step(&b, 2.5, 0), 1);
	assert_int_equal(b.level, SHED_SLOW_SYSCALLS);
	assert_non_null(strstr(why, "cpu 2.5% of one core (budget 2.0%)"));
	/* Still over: the next level only after hold_s seconds at this one. */
	assert_int_equal(step(&b, 3, 0), 0);
	assert_int_equal(step(&b, 3, 0), 0);
	assert_int_equal(step(&b, 3, 0), 1);
	assert_int_equal(b.level, SHED_CONN_ERRORS);
	/* The last level: crashes and OOM kills are never shed. */
	for (int i = 0; i < 20; i++)
		assert_int_equal(step(&b, 50, 1), 0);
	assert_int_equal(b.level, SHED_LEVEL_MAX);
	assert_string_equal(shed_level_name(b.level), "slow_syscall,conn_error");
}

static void test_ring_buffer_fill_alone_is_overload(void **state)
{
	struct brownout b;

	(void)state;
	brownout_init(&b, &cfg);
	assert_int_equal(step(&b, 0.1, 0.51), 1);
	assert_non_null(strstr(why, "fullest ring buffer 51%"));
}

static void test_recovery_needs_recover_s_calm_seconds_in_a_row(void **state)
{
	struct brownout b;

	(void)state;
	brownout_init(&b, &cfg);
	step(&b, 5, 0);
	for (int i = 0; i < 9; i++)
		assert_int_equal(step(&b, 0.5, 0.05), 0);
	/* Between calm and overload (over half the budget): the count starts again. */
	assert_int_equal(step(&b, 1.5, 0.05), 0);
	for (int i = 0; i < 9; i++)
		assert_int_equal(step(&b, 0.5, 0.05), 0);
	/* A ring buffer not quite drained is not calm either. */
	assert_int_equal(step(&b, 0.5, 0.2), 0);
	for (int i = 0; i < 9; i++)
		assert_int_equal(step(&b, 0.5, 0.05), 0);
	assert_int_equal(b.level, SHED_SLOW_SYSCALLS);
	assert_int_equal(step(&b, 0.5, 0.05), -1);
	assert_int_equal(b.level, SHED_NONE);
}

static void test_recovery_steps_down_one_level_at_a_time(void **state)
{
	struct brownout b;

	(void)state;
	brownout_init(&b, &cfg);
	step(&b, 5, 0);
	for (int i = 0; i < 3; i++)
		step(&b, 5, 0);
	assert_int_equal(b.level, SHED_CONN_ERRORS);
	for (int i = 0; i < 9; i++)
		step(&b, 0, 0);
	assert_int_equal(step(&b, 0, 0), -1);
	assert_int_equal(b.level, SHED_SLOW_SYSCALLS);
	for (int i = 0; i < 9; i++)
		assert_int_equal(step(&b, 0, 0), 0);
	assert_int_equal(step(&b, 0, 0), -1);
	assert_int_equal(b.level, SHED_NONE);
	/* Overload again: straight back to shedding slow syscalls. */
	assert_int_equal(step(&b, 0, 0.9), 1);
	assert_int_equal(b.level, SHED_SLOW_SYSCALLS);
}

/* Calm n seconds; the step that changed the level, 0 if none did. */
static int calm_for(struct brownout *b, int n)
{
	int ret = 0;

	for (int i = 0; i < n && !ret; i++)
		ret = step(b, 0, 0);
	return ret;
}

/* Overload right after each recovery: the calm needed doubles, up to the maximum, then resets. */
static void test_relapses_lengthen_the_calm_needed(void **state)
{
	struct brownout b;

	(void)state;
	brownout_init(&b, &cfg);
	assert_int_equal(step(&b, 5, 0), 1);
	assert_int_equal(calm_for(&b, 10), -1);		/* 10 s: the first recovery */
	assert_int_equal(step(&b, 5, 0), 1);		/* a relapse at once */
	assert_int_equal(calm_for(&b, 19), 0);
	assert_int_equal(calm_for(&b, 1), -1);		/* 20 s now */
	assert_int_equal(step(&b, 5, 0), 1);
	assert_int_equal(calm_for(&b, 39), 0);
	assert_int_equal(calm_for(&b, 1), -1);		/* 40 s: the maximum */
	assert_int_equal(step(&b, 5, 0), 1);
	assert_int_equal(calm_for(&b, 39), 0);
	assert_int_equal(calm_for(&b, 1), -1);		/* still 40 s */
	/* recover_max_s calm with nothing shed: back to recover_s. */
	assert_int_equal(calm_for(&b, 40), 0);
	assert_int_equal(step(&b, 5, 0), 1);
	assert_int_equal(calm_for(&b, 10), -1);
	/* Overload at the relapse_s-th second after a recovery is no relapse: still 10 s. */
	for (int i = 0; i < 29; i++)
		assert_int_equal(step(&b, 1.5, 0), 0);
	assert_int_equal(step(&b, 5, 0), 1);
	assert_int_equal(calm_for(&b, 10), -1);
	/* A second earlier it is: 20 s. */
	for (int i = 0; i < 28; i++)
		assert_int_equal(step(&b, 1.5, 0), 0);
	assert_int_equal(step(&b, 5, 0), 1);
	assert_int_equal(calm_for(&b, 19), 0);
	assert_int_equal(calm_for(&b, 1), -1);
}

static const struct brownout_cfg mem_cfg = {
	.cpu_budget_pct = 2, .fill_high = 0.5, .fill_low = 0.1, .hold_s = 3, .recover_s = 10,
	.recover_max_s = 40, .relapse_s = 30, .rss_max_kb = 65536, .rss_stuck_s = 60,
};

static int step_rss(struct brownout *b, double cpu, uint64_t rss_kb)
{
	return brownout_step(b, cpu, 0, rss_kb, why, sizeof(why));
}

static void test_rss_over_bound_alone_is_overload_and_named_as_cause(void **state)
{
	struct brownout b;

	(void)state;
	brownout_init(&b, &mem_cfg);
	assert_int_equal(step_rss(&b, 0.1, 65536), 0);	/* at the bound is within it */
	assert_false(b.rss_crossed);
	assert_int_equal(step_rss(&b, 0.1, 70000), 1);
	assert_int_equal(b.level, SHED_SLOW_SYSCALLS);
	assert_true(b.rss_crossed);
	assert_non_null(strstr(why, "cause rss: "));
	assert_non_null(strstr(why, "rss 68.4 MiB (max 64 MiB)"));
	/* Crossing is one sample: the shrink happens once per excursion. */
	assert_int_equal(step_rss(&b, 0.1, 70000), 0);
	assert_false(b.rss_crossed);
	assert_int_equal(step_rss(&b, 0.1, 70000), 0);
	assert_int_equal(step_rss(&b, 0.1, 70000), 1);
	assert_int_equal(b.level, SHED_CONN_ERRORS);
	/* Both causes at once are both named. */
	brownout_init(&b, &mem_cfg);
	assert_int_equal(step_rss(&b, 3, 70000), 1);
	assert_non_null(strstr(why, "cause cpu+rss: cpu 3.0% of one core"));
}

static void test_no_recovery_while_rss_stays_over_bound(void **state)
{
	struct brownout b;

	(void)state;
	brownout_init(&b, &mem_cfg);
	step_rss(&b, 0, 80000);
	/* CPU and ring buffers calm, memory not: shedding stays. */
	for (int i = 0; i < 30; i++)
		assert_int_equal(step_rss(&b, 0, 80000) < 0, 0);
	assert_int_equal(b.level, SHED_CONN_ERRORS);
	/* Back within the bound: calm counts from here. */
	for (int i = 0; i < 9; i++)
		assert_int_equal(step_rss(&b, 0, 60000), 0);
	assert_int_equal(step_rss(&b, 0, 60000), -1);
	assert_non_null(strstr(why, "calm: "));
	assert_int_equal(b.level, SHED_SLOW_SYSCALLS);
	/* Going over again is a new crossing (more shedding waits for hold_s at this level). */
	assert_int_equal(step_rss(&b, 0, 70000), 0);
	assert_true(b.rss_crossed);
}

static void test_rss_stuck_after_rss_stuck_s_at_the_last_level(void **state)
{
	struct brownout b;

	(void)state;
	brownout_init(&b, &mem_cfg);
	step_rss(&b, 0, 80000);			/* slow_syscall shed */
	for (int i = 0; i < 3; i++)
		step_rss(&b, 0, 80000);		/* conn_error too: the last level */
	assert_int_equal(b.level, SHED_LEVEL_MAX);
	for (int i = 0; i < 58; i++) {
		step_rss(&b, 0, 80000);
		assert_false(brownout_rss_stuck(&b));
	}
	step_rss(&b, 0, 80000);
	assert_false(brownout_rss_stuck(&b));	/* 59 s at the last level */
	step_rss(&b, 0, 80000);
	assert_true(brownout_rss_stuck(&b));	/* 60 s */
	/* One sample within the bound ends it; the count starts again. */
	step_rss(&b, 0, 60000);
	assert_false(brownout_rss_stuck(&b));
	step_rss(&b, 0, 80000);
	assert_false(brownout_rss_stuck(&b));
}

static void test_no_bound_no_memory_overload(void **state)
{
	struct brownout b;

	(void)state;
	brownout_init(&b, &cfg);		/* rss_max_kb 0 */
	for (int i = 0; i < 100; i++)
		assert_int_equal(step_rss(&b, 0, 1ULL << 40), 0);
	assert_int_equal(b.level, SHED_NONE);
	assert_false(brownout_rss_stuck(&b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_within_budget_sheds_nothing),
		cmocka_unit_test(test_cpu_over_budget_sheds_slow_syscalls_at_once_then_conn_errors_after_hold),
		cmocka_unit_test(test_ring_buffer_fill_alone_is_overload),
		cmocka_unit_test(test_recovery_needs_recover_s_calm_seconds_in_a_row),
		cmocka_unit_test(test_recovery_steps_down_one_level_at_a_time),
		cmocka_unit_test(test_relapses_lengthen_the_calm_needed),
		cmocka_unit_test(test_rss_over_bound_alone_is_overload_and_named_as_cause),
		cmocka_unit_test(test_no_recovery_while_rss_stays_over_bound),
		cmocka_unit_test(test_rss_stuck_after_rss_stuck_s_at_the_last_level),
		cmocka_unit_test(test_no_bound_no_memory_overload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
