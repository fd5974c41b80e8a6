/* The record and its arena: kinds set in the Envelope, repeated and map fields grown, memory kept from record to record. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "record/record.h"

static void reset_sets_the_kinds_message(void **state)
{
	static const struct {
		enum flow_kind kind;
		Hostmon__V1__Envelope__EventCase c;
	} kinds[] = {
		{ FLOW_SLOW_SYSCALL, HOSTMON__V1__ENVELOPE__EVENT_SLOW_SYSCALL },
		{ FLOW_CONN_ERROR, HOSTMON__V1__ENVELOPE__EVENT_CONN_ERROR },
		{ FLOW_PROCESS_CRASH, HOSTMON__V1__ENVELOPE__EVENT_PROCESS_CRASH },
		{ FLOW_OOM_KILL, HOSTMON__V1__ENVELOPE__EVENT_OOM_KILL },
		{ FLOW_METRICS, HOSTMON__V1__ENVELOPE__EVENT_METRICS },
		{ FLOW_AGENT_STATUS, HOSTMON__V1__ENVELOPE__EVENT_AGENT_STATUS },
	};
	struct record rec = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		record__reset(&rec, kinds[i].kind);
		rec.ev.slow_syscall.pid = 77;	/* overwritten by the next reset */
		assert_int_equal(rec.kind, kinds[i].kind);
		assert_int_equal(rec.env.event_case, kinds[i].c);
		/* The oneof member points at ev, whatever the kind. */
		assert_ptr_equal(rec.env.slow_syscall, &rec.ev);
	}
	record__reset(&rec, FLOW_SLOW_SYSCALL);
	assert_int_equal(rec.ev.slow_syscall.pid, 0);
	record__fini(&rec);
}

/* 1,000 syscall rows and 1,000 errno counts: every one kept, in order. */
static void repeated_and_maps_grow(void **state)
{
	struct record rec = { 0 };
	Hostmon__V1__MetricsWindow *m;
	Hostmon__V1__SyscallWindow *w;
	char *key;

	(void)state;
	record__reset(&rec, FLOW_METRICS);
	m = &rec.ev.metrics;
	for (uint32_t i = 0; i < 1000; i++) {
		w = record__push(&rec, &m->syscalls, &m->n_syscalls, &hostmon__v1__syscall_window__descriptor);
		assert_non_null(w);
		w->nr = i;
	}
	w = m->syscalls[999];
	for (uint64_t i = 0; i < 1000; i++) {
		key = record__alloc(&rec, 8);
		snprintf(key, 8, "E%llu", (unsigned long long)i);
		assert_non_null(record__count(&rec, &w->errnos, &w->n_errnos,
					      &hostmon__v1__syscall_window__errnos_entry__descriptor,
					      key, i * 3));
	}
	assert_int_equal(m->n_syscalls, 1000);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(m->syscalls[i]->nr, i);
	assert_int_equal(w->n_errnos, 1000);
	assert_string_equal(w->errnos[500]->key, "E500");
	assert_int_equal(w->errnos[500]->value, 1500);
	assert_false(rec.arena.failed);
	record__fini(&rec);
}

static size_t chunks(const struct record *rec)
{
	return rec->arena.n_chunks;
}

/* Once grown to the largest record, records reuse the arena's chunks: no new allocation. */
static void arena_memory_kept_across_records(void **state)
{
	struct record rec = { 0 };
	size_t grown = 0;
	char big[3000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	for (int round = 0; round < 3; round++) {
		record__reset(&rec, FLOW_PROCESS_CRASH);
		for (int i = 0; i < 100; i++)
			assert_string_equal(record__strdup(&rec, big), big);
		if (round == 0)
			grown = chunks(&rec);
		assert_int_equal(chunks(&rec), grown);
	}
	assert_true(grown >= 4);	/* 300 kB in 64 kB chunks */
	/* One allocation larger than a chunk gets a chunk of its own. */
	record__reset(&rec, FLOW_OOM_KILL);
	assert_non_null(record__alloc(&rec, 1 << 20));
	assert_int_equal(chunks(&rec), grown + 1);
	record__reset(&rec, FLOW_OOM_KILL);
	assert_non_null(record__alloc(&rec, 1 << 20));
	assert_int_equal(chunks(&rec), grown + 1);
	record__fini(&rec);
}

/* Kernel bytes become valid UTF-8 in the arena. */
static void text_is_cleaned(void **state)
{
	struct record rec = { 0 };

	(void)state;
	record__reset(&rec, FLOW_SLOW_SYSCALL);
	assert_string_equal(record__text(&rec, "ab\xff" "c", 16), "ab\xef\xbf\xbd" "c");
	assert_string_equal(record__text(&rec, "abcdefgh", 4), "abcd");
	record__fini(&rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reset_sets_the_kinds_message),
		cmocka_unit_test(repeated_and_maps_grow),
		cmocka_unit_test(arena_memory_kept_across_records),
		cmocka_unit_test(text_is_cleaned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
