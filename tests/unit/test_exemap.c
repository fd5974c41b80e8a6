/* Unit tests of agent/probes/exemap.c: which entry of the kernel's exe map answers for an event's process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <cmocka.h>
#include "probes/exemap.h"
#include "probes/kpath.h"
#include "probes/pidcache.h"

/* An entry for /usr/bin/python3 (names leaf first), started at 5 s, second program. */
static struct exe_entry entry(void)
{
	struct exe_entry e = { .start_ns = 5000000000ULL, .exec_id = 2 };

	assert_int_equal(kpath_push(&e.path, "python3"), 0);
	assert_int_equal(kpath_push(&e.path, "bin"), 0);
	assert_int_equal(kpath_push(&e.path, "usr"), 0);
	return e;
}

static int answer(const struct exe_entry *e, uint64_t start_ns, uint64_t exec_id, char *path)
{
	struct pidcache_key k = { .pid = 42, .start_ns = start_ns, .exec_id = exec_id };

	path[0] = 0;
	return exemap_entry_path(e, &k, path, PATH_MAX);
}

static void test_same_process_and_program_answers_joined_path(void **state)
{
	struct exe_entry e = entry();
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(answer(&e, 5000000000ULL, 2, path), 0);
	assert_string_equal(path, "/usr/bin/python3");
}

static void test_exec_since_the_event_is_stale(void **state)
{
	struct exe_entry e = entry();
	char path[PATH_MAX];

	(void)state;
	/* The event was of the program before execve: neither this path nor /proc's. */
	assert_int_equal(answer(&e, 5000000000ULL, 1, path), -ESTALE);
	assert_string_equal(path, "");
}

static void test_other_process_older_note_or_no_path_ask_proc(void **state)
{
	struct exe_entry e = entry();
	char path[PATH_MAX];

	(void)state;
	/* The pid's earlier or later process. */
	assert_int_equal(answer(&e, 4000000000ULL, 2, path), -ENOENT);
	assert_int_equal(answer(&e, 6000000000ULL, 2, path), -ENOENT);
	/* The note for the event's program was lost (a failed update, counted). */
	assert_int_equal(answer(&e, 5000000000ULL, 3, path), -ENOENT);
	/* A kernel thread: no exe walked. */
	e.path.depth = 0;
	assert_int_equal(answer(&e, 5000000000ULL, 2, path), -ENOENT);
	assert_string_equal(path, "");
}

/* The packed names: a deep path stops at PROC_PATH_DEPTH names, a long one at PROC_PATH_BYTES. */
static void test_packed_path_truncates_deep_and_long_paths(void **state)
{
	struct proc_path deep = {}, wide = {};
	char name[PROC_NAME_LEN * 2], out[KPATH_MAX];
	int pushed = 0;

	(void)state;
	for (int i = 0; i < PROC_PATH_DEPTH; i++)
		assert_int_equal(kpath_push(&deep, "d"), 0);
	assert_int_equal(kpath_push(&deep, "d"), -ENOSPC);
	kpath_string(&deep, out, sizeof(out));
	assert_true(deep.truncated);
	assert_int_equal(strlen(out), 3 + 2 * PROC_PATH_DEPTH);
	assert_memory_equal(out, ".../d/d", 7);

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	while (kpath_push(&wide, name) == 0)
		pushed++;
	/* Each name is cut to PROC_NAME_LEN - 1 bytes, and 8 of them fill 512. */
	assert_int_equal(pushed, PROC_PATH_BYTES / PROC_NAME_LEN);
	kpath_string(&wide, out, sizeof(out));
	assert_int_equal(strlen(out), 3 + (size_t)pushed * PROC_NAME_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_process_and_program_answers_joined_path),
		cmocka_unit_test(test_exec_since_the_event_is_stale),
		cmocka_unit_test(test_other_process_older_note_or_no_path_ask_proc),
		cmocka_unit_test(test_packed_path_truncates_deep_and_long_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
