/* The in-flight pool: a message's slot comes back whole through its opaque, once; slots are reused, the pool grows as needed and is emptied with its producer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "sinks/inflight.h"

static struct inflight_msg msg_of(uint64_t i)
{
	return (struct inflight_msg){ .pos = { .segment = 1 + i / 100, .index = (uint32_t)(i % 100) },
				      .seq = 1000 + i, .kind = (uint32_t)(i % 6), .mine = i % 2 };
}

static void assert_msg(const struct inflight_msg *m, uint64_t i)
{
	struct inflight_msg want = msg_of(i);

	assert_int_equal(m->pos.segment, want.pos.segment);
	assert_int_equal(m->pos.index, want.pos.index);
	assert_int_equal(m->seq, want.seq);
	assert_int_equal(m->kind, want.kind);
	assert_int_equal(m->mine, want.mine);
}

/* Out of order, as delivery reports of two producers' purges may come: each once, whole. */
static void test_put_take_round_trip_once(void **state)
{
	struct inflight *inf = inflight__new();
	struct inflight_msg m;
	void *op[3000];

	(void)state;
	assert_non_null(inf);
	for (int i = 0; i < 3000; i++) {
		m = msg_of(i);
		op[i] = inflight__put(inf, &m);
		assert_non_null(op[i]);
	}
	assert_int_equal(inflight__count(inf), 3000);
	for (int i = 2999; i >= 0; i -= 2) {
		assert_true(inflight__take(inf, op[i], &m));
		assert_msg(&m, i);
		assert_false(inflight__take(inf, op[i], &m));
	}
	for (int i = 0; i < 3000; i += 2) {
		assert_true(inflight__take(inf, op[i], &m));
		assert_msg(&m, i);
	}
	assert_int_equal(inflight__count(inf), 0);
	assert_false(inflight__take(inf, NULL, &m));
	assert_false(inflight__take(inf, (void *)(uintptr_t)1000000, &m));
	inflight__free(inf);
}

/* Steady state: as many in flight as ever before, and the same slots serve (opaques repeat). */
static void test_slots_reused(void **state)
{
	struct inflight *inf = inflight__new();
	struct inflight_msg m = msg_of(7), out;
	void *first[10], *op;
	int again = 0;

	(void)state;
	for (int i = 0; i < 10; i++)
		first[i] = inflight__put(inf, &m);
	for (int i = 0; i < 10; i++)
		assert_true(inflight__take(inf, first[i], &out));
	for (int round = 0; round < 100000; round++) {
		op = inflight__put(inf, &m);
		for (int i = 0; i < 10; i++)
			again += op == first[i];
		assert_true(inflight__take(inf, op, &out));
	}
	assert_int_equal(again, 100000);
	inflight__free(inf);
}

/* Cleared (its producer destroyed): nothing held, opaques of before refused, the pool usable again. */
static void test_clear_forgets_everything(void **state)
{
	struct inflight *inf = inflight__new();
	struct inflight_msg m = msg_of(3);
	void *op = inflight__put(inf, &m);

	(void)state;
	inflight__clear(inf);
	assert_int_equal(inflight__count(inf), 0);
	assert_false(inflight__take(inf, op, &m));
	op = inflight__put(inf, &m);
	assert_true(inflight__take(inf, op, &m));
	assert_msg(&m, 3);
	inflight__free(inf);
	inflight__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_take_round_trip_once),
		cmocka_unit_test(test_slots_reused),
		cmocka_unit_test(test_clear_forgets_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
