/* Unit tests of agent/core/evloop.c: each ready fd's callback called with its context, nothing after evloop__del. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <cmocka.h>
#include "core/evloop.h"

struct seen {
	int calls;
	int fd;
	uint32_t events;
	struct evloop *loop;	/* for a callback that removes another fd */
	int del_fd;		/* that fd; -1: none */
};

static void on_ready(void *ctx, int fd, uint32_t events)
{
	struct seen *s = ctx;
	uint64_t v;

	s->calls++;
	s->fd = fd;
	s->events = events;
	assert_int_equal(read(fd, &v, sizeof(v)), sizeof(v));
	if (s->del_fd >= 0)
		assert_int_equal(evloop__del(s->loop, s->del_fd), 0);
}

static void kick(int fd)
{
	uint64_t one = 1;

	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

struct fixture {
	struct evloop *loop;
	int a, b;
	struct seen sa, sb;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->loop = evloop__new();
	f->a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->b = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->sa = (struct seen){ .fd = -1, .loop = f->loop, .del_fd = -1 };
	f->sb = (struct seen){ .fd = -1, .loop = f->loop, .del_fd = -1 };
	if (!f->loop || f->a < 0 || f->b < 0)
		return -1;
	if (evloop__add(f->loop, f->a, EPOLLIN, on_ready, &f->sa) ||
	    evloop__add(f->loop, f->b, EPOLLIN, on_ready, &f->sb))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	evloop__free(f->loop);
	close(f->a);
	close(f->b);
	free(f);
	return 0;
}

static void test_ready_fd_calls_its_own_callback_with_its_context(void **state)
{
	struct fixture *f = *state;

	kick(f->b);
	assert_int_equal(evloop__run_once(f->loop, 1000, NULL), 1);
	assert_int_equal(f->sb.calls, 1);
	assert_int_equal(f->sb.fd, f->b);
	assert_true(f->sb.events & EPOLLIN);
	assert_int_equal(f->sa.calls, 0);
	kick(f->a);
	kick(f->b);
	assert_int_equal(evloop__run_once(f->loop, 1000, NULL), 2);
	assert_int_equal(f->sa.calls, 1);
	assert_int_equal(f->sa.fd, f->a);
	assert_int_equal(f->sb.calls, 2);
}

static void test_nothing_ready_times_out_with_no_call(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(evloop__run_once(f->loop, 10, NULL), 0);
	assert_int_equal(f->sa.calls + f->sb.calls, 0);
}

static void test_del_stops_dispatch(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(evloop__del(f->loop, f->a), 0);
	kick(f->a);
	kick(f->b);
	assert_int_equal(evloop__run_once(f->loop, 1000, NULL), 1);
	assert_int_equal(f->sa.calls, 0);
	assert_int_equal(f->sb.calls, 1);
	assert_int_equal(evloop__del(f->loop, f->a), -ENOENT);
}

/* Both ready in one wait: whichever runs first removes the other, which is then not called. */
static void test_del_from_a_callback_skips_events_already_waiting(void **state)
{
	struct fixture *f = *state;

	f->sa.del_fd = f->b;
	f->sb.del_fd = f->a;
	kick(f->a);
	kick(f->b);
	assert_int_equal(evloop__run_once(f->loop, 1000, NULL), 1);
	assert_int_equal(f->sa.calls + f->sb.calls, 1);
}

static void test_an_fd_is_added_once(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(evloop__add(f->loop, f->a, EPOLLIN, on_ready, &f->sb), -EEXIST);
	assert_int_equal(evloop__add(f->loop, -1, EPOLLIN, on_ready, &f->sb), -EINVAL);
	kick(f->a);
	assert_int_equal(evloop__run_once(f->loop, 1000, NULL), 1);
	assert_int_equal(f->sa.calls, 1);
	assert_int_equal(f->sb.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ready_fd_calls_its_own_callback_with_its_context,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_ready_times_out_with_no_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_del_stops_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_del_from_a_callback_skips_events_already_waiting,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_fd_is_added_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
