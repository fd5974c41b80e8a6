/*
 * Unit tests of the probe family interface: the agent's list
 * (agent/probes/families.c) fills every operation under the names the
 * contract uses, and a family that is one table and one list entry is run
 * by the same code the daemon runs: opened (a family it needs first),
 * its ring's fd dispatched by the event loop to its callback, its window
 * closed, shed, its status reported in /health and agent_status, freed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <cmocka.h>
#include "config/config.h"
#include "core/evloop.h"
#include "daemon/health.h"
#include "daemon/status.h"
#include "probes/families.h"
#include "probes/family_set.h"
#include "record/record.h"

/* ---- the agent's list ---- */

static bool listed(const struct family_ops *ops)
{
	for (size_t i = 0; families[i]; i++)
		if (families[i] == ops)
			return true;
	return false;
}

static void test_every_listed_family_fills_every_op(void **state)
{
	size_t n = 0;

	(void)state;
	for (const struct family_ops *const *f = families; *f; f++, n++) {
		const struct family_ops *o = *f;

		assert_non_null(o->name);
		assert_true(o->name[0]);
		if (!o->enabled || !o->open || !o->free || !o->epoll_fd || !o->events_fd ||
		    !o->poll || !o->window || !o->shed || !o->object || !o->set_workloads)
			fail_msg("family %s leaves an operation out", o->name);
		/* What it needs is in the list, and settles once its dependant has opened. */
		if (o->needs && (!listed(o->needs) || !o->needs->settle))
			fail_msg("family %s needs one the list lacks or that cannot settle", o->name);
	}
	assert_int_equal(n, 3);
}

/* /health, agent_status, the drops and the logs name them so, in this order. */
static void test_listed_names_are_the_contracts_in_its_order(void **state)
{
	static const char *const contract[] = { "syscalls", "proc", "net" };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		assert_non_null(families[i]);
		assert_string_equal(families[i]->name, contract[i]);
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(families[k]->name, families[i]->name);
	}
	assert_null(families[3]);
}

/* Slow syscalls are shed first, then conn_error events; crashes never. */
static void test_listed_shed_order_is_the_brownouts(void **state)
{
	(void)state;
	assert_int_equal(families[0]->shed_priority, 1);
	assert_int_equal(families[1]->shed_priority, 0);
	assert_int_equal(families[2]->shed_priority, 2);
}

/* ---- a new family: one table, one list entry ---- */

/* What the fake families went through; their instances are gone once freed. */
struct journal {
	char order[64];		/* a letter per open ('o'), free ('f'), settle ('s') and name */
	int polls;
	uint64_t read;		/* eventfd counts read */
	int windows;
	int shed_on;		/* shed(on) minus shed(off) seen last: 1 on, 0 off */
	int sheds;
	const void *settle_peer;
	struct workloads *wl;
	int batches;
};

static struct journal jr;

struct fake {
	const char *name;
	int efd;
};

static void note(char what, const char *name)
{
	size_t n = strlen(jr.order);

	if (n + 2 < sizeof(jr.order)) {
		jr.order[n] = what;
		jr.order[n + 1] = name[0];
	}
}

static bool fake_enabled(const struct config *cfg)
{
	(void)cfg;
	return true;
}

static void *fake_open_named(const char *name, struct family_status *st)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->name = name;
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(f->efd >= 0);
	st->state = FAMILY_ATTACHED;
	snprintf(st->path, sizeof(st->path), "eventfd %s", name);
	note('o', name);
	return f;
}

static void *fake_open(const struct family_ctx *ctx, struct family_status *st)
{
	(void)ctx;
	return fake_open_named("fake", st);
}

static void fake_free(void *fam)
{
	struct fake *f = fam;

	note('f', f->name);
	close(f->efd);
	free(f);
}

static int fake_fd(const void *fam)
{
	return ((const struct fake *)fam)->efd;
}

static int fake_poll(void *fam)
{
	struct fake *f = fam;
	uint64_t v;

	jr.polls++;
	if (read(f->efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	jr.read += v;
	return 1;
}

static int fake_window(void *fam, struct record *rec)
{
	struct fake *f = fam;

	jr.windows++;
	record__drop(rec, record__drops(rec, f->name), "fake_read", jr.read);
	return 0;
}

static void fake_shed(void *fam, bool on)
{
	(void)fam;
	jr.sheds++;
	jr.shed_on = on;
}

static const struct bpf_object *fake_object(const void *fam)
{
	(void)fam;
	return NULL;
}

static void fake_set_workloads(void *fam, struct workloads *wl)
{
	(void)fam;
	jr.wl = wl;
}

/* The fake families' operations but open, each family's own. */
#define FAKE_OPS \
	.enabled = fake_enabled, .free = fake_free, .epoll_fd = fake_fd, .events_fd = fake_fd, \
	.poll = fake_poll, .window = fake_window, .shed = fake_shed, .object = fake_object, \
	.set_workloads = fake_set_workloads

/* The new family: this table, and an entry in the list handed to the family set. */
static const struct family_ops fake_family = {
	.name = "fake",
	.open = fake_open,
	.shed_priority = 2,
	FAKE_OPS,
};

/* A family that cannot open: failed, with its reason. */
static void *broken_open(const struct family_ctx *ctx, struct family_status *st)
{
	(void)ctx;
	st->state = FAMILY_FAILED;
	snprintf(st->error, sizeof(st->error), "load failed: %s", strerror(EPERM));
	return NULL;
}

static const struct family_ops broken_family = {
	.name = "broken",
	.open = broken_open,
	FAKE_OPS,
};

static void *base_open(const struct family_ctx *ctx, struct family_status *st)
{
	(void)ctx;
	return fake_open_named("base", st);
}

static int base_settle(void *fam, const void *peer, const struct family_status *peer_st,
		       struct family_status *st)
{
	(void)fam;
	note('s', "base");
	jr.settle_peer = peer;
	snprintf(st->path, sizeof(st->path), "settled with %s", family_state_name(peer_st->state));
	return 0;
}

static const struct family_ops base_family = {
	.name = "base",
	.open = base_open,
	.settle = base_settle,
	FAKE_OPS,
};

/* Needs base: base opens first whatever the list's order, and is settled once this one is open. */
static void *user_open(const struct family_ctx *ctx, struct family_status *st)
{
	struct fake *base = ctx->need;

	assert_non_null(base);
	assert_string_equal(base->name, "base");
	return fake_open_named("user", st);
}

static const struct family_ops user_family = {
	.name = "user",
	.open = user_open,
	.needs = &base_family,
	FAKE_OPS,
};

static void count_batch(void *ctx)
{
	(void)ctx;
	jr.batches++;
}

static const struct config no_config;

static struct family_set *open_set(const struct family_ops *const *list)
{
	const struct family_ctx ctx = { .cfg = &no_config };
	struct family_set *set = family_set__new(list);

	assert_non_null(set);
	memset(&jr, 0, sizeof(jr));
	family_set__open(set, &ctx);
	family_set__on_batch(set, count_batch, NULL);
	return set;
}

static void kick(struct family_set *set, size_t i, uint64_t n)
{
	int fd = family_set__events_fd(set, i);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, &n, sizeof(n)), sizeof(n));
}

static void test_new_family_opens_and_reports_its_status(void **state)
{
	const struct family_ops *const list[] = { &fake_family, &broken_family, NULL };
	struct family_set *set = open_set(list);
	struct json_object *probes, *fam;
	char cause[320];

	(void)state;
	assert_string_equal(jr.order, "of");
	assert_int_equal(family_set__count(set), 2);
	assert_string_equal(family_set__name(set, 0), "fake");
	assert_true(family_set__runs(set, 0));
	assert_false(family_set__runs(set, 1));
	assert_int_equal(family_set__status(set, 0)->state, FAMILY_ATTACHED);
	assert_int_equal(family_set__status(set, 1)->state, FAMILY_FAILED);
	/* /health's probes, in the list's order. */
	probes = health_probes(set);
	assert_string_equal(json_object_to_json_string_ext(probes, JSON_C_TO_STRING_PLAIN),
			    "{\"fake\":{\"state\":\"attached\",\"path\":\"eventfd fake\"},"
			    "\"broken\":{\"state\":\"failed\",\"error\":\"load failed: "
			    "Operation not permitted\"}}");
	assert_true(json_object_object_get_ex(probes, "fake", &fam));
	json_object_put(probes);
	/* The degraded cause names the failed family. */
	assert_true(status_family_failed(set, cause, sizeof(cause)));
	assert_string_equal(cause, "probe family broken failed: load failed: Operation not permitted");
	family_set__free(set);
}

static void test_new_family_reported_in_agent_status(void **state)
{
	const struct family_ops *const list[] = { &fake_family, &broken_family, NULL };
	struct family_set *set = open_set(list);
	struct record rec = { 0 };
	Hostmon__V1__AgentStatus *m;

	(void)state;
	record__reset(&rec, FLOW_AGENT_STATUS);
	status_add_probes(&rec, set);
	m = &rec.ev.agent_status;
	assert_int_equal(m->n_probes, 2);
	assert_string_equal(m->probes[0]->key, "fake");
	assert_string_equal(m->probes[0]->value->state, "attached");
	assert_string_equal(m->probes[1]->key, "broken");
	assert_string_equal(m->probes[1]->value->state, "failed");
	assert_string_equal(m->probes[1]->value->error, "load failed: Operation not permitted");
	record__fini(&rec);
	family_set__free(set);
}

static void test_new_familys_ring_is_dispatched_to_its_callback(void **state)
{
	const struct family_ops *const list[] = { &fake_family, NULL };
	struct family_set *set = open_set(list);
	struct evloop *loop = evloop__new();

	(void)state;
	assert_non_null(loop);
	assert_int_equal(family_set__watch(set, loop), 0);
	assert_int_equal(evloop__run_once(loop, 10, NULL), 0);
	assert_int_equal(jr.polls, 0);
	kick(set, 0, 5);
	assert_int_equal(evloop__run_once(loop, 1000, NULL), 1);
	assert_int_equal(jr.polls, 1);
	assert_int_equal(jr.read, 5);
	assert_int_equal(jr.batches, 1);
	/* Read by its callback in this turn: the end of the turn leaves it. */
	assert_false(family_set__poll_rest(set));
	assert_int_equal(jr.polls, 1);
	/* A turn its fd did not wake: read at the turn's end all the same (ring_flush_ms). */
	kick(set, 0, 2);
	assert_false(family_set__poll_rest(set));
	assert_int_equal(jr.polls, 2);
	assert_int_equal(jr.read, 7);
	assert_int_equal(jr.batches, 2);
	family_set__free(set);
	evloop__free(loop);
}

static void test_new_familys_window_closed_then_shed_then_freed(void **state)
{
	const struct family_ops *const list[] = { &fake_family, &broken_family, NULL };
	struct family_set *set = open_set(list);
	struct record rec = { 0 };
	Hostmon__V1__MetricsWindow *m;

	(void)state;
	kick(set, 0, 3);
	assert_false(family_set__drain(set));
	record__reset(&rec, FLOW_METRICS);
	family_set__window(set, &rec);
	assert_int_equal(jr.windows, 1);
	m = &rec.ev.metrics;
	assert_int_equal(m->n_drops, 1);
	assert_string_equal(m->drops[0]->key, "fake");
	assert_string_equal(m->drops[0]->value->reasons[0]->key, "fake_read");
	assert_int_equal(m->drops[0]->value->reasons[0]->value, 3);
	record__fini(&rec);
	/* Shed from its priority (2) on; the broken one is not running, not called. */
	family_set__shed(set, 1);
	assert_int_equal(jr.sheds, 1);
	assert_int_equal(jr.shed_on, 0);
	family_set__shed(set, 2);
	assert_int_equal(jr.shed_on, 1);
	family_set__shed(set, 0);
	assert_int_equal(jr.shed_on, 0);
	assert_int_equal(jr.sheds, 3);
	family_set__free(set);
	assert_string_equal(jr.order, "offf");
}

/* user needs base and is listed first: base opens first, settles after user, is freed last. */
static void test_needed_family_opens_first_settles_after_frees_last(void **state)
{
	const struct family_ops *const list[] = { &user_family, &base_family, NULL };
	struct family_set *set = open_set(list);

	(void)state;
	assert_string_equal(jr.order, "obousb");
	assert_non_null(jr.settle_peer);
	assert_string_equal(family_set__status(set, 1)->path, "settled with attached");
	/* Reported in the list's order all the same. */
	assert_string_equal(family_set__name(set, 0), "user");
	family_set__free(set);
	assert_string_equal(jr.order, "obousbfufb");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_listed_family_fills_every_op),
		cmocka_unit_test(test_listed_names_are_the_contracts_in_its_order),
		cmocka_unit_test(test_listed_shed_order_is_the_brownouts),
		cmocka_unit_test(test_new_family_opens_and_reports_its_status),
		cmocka_unit_test(test_new_family_reported_in_agent_status),
		cmocka_unit_test(test_new_familys_ring_is_dispatched_to_its_callback),
		cmocka_unit_test(test_new_familys_window_closed_then_shed_then_freed),
		cmocka_unit_test(test_needed_family_opens_first_settles_after_frees_last),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
