/* A list of probe families run as one: what the daemon does to every family, written once. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/evloop.h"
#include "core/log.h"
#include "probes/bpfmem.h"
#include "probes/family_set.h"
#include "probes/workloads.h"

struct family_member {
	const struct family_ops *ops;
	struct family_set *set;
	void *fam;			/* NULL: not running */
	struct family_status status;
	bool visited;			/* opened, or left out, already */
	bool settled;
	bool polled;			/* its ring's callback read a batch this turn */
};

struct family_set {
	struct family_member *m;
	size_t n;
	size_t *order;			/* members in the order they were opened */
	size_t n_order;
	struct workloads *wl;		/* not owned; NULL: none */
	family_batch_fn on_batch;
	void *on_batch_ctx;
	bool more;			/* a read of this turn left a batch waiting */
};

struct family_set *family_set__new(const struct family_ops *const *list)
{
	struct family_set *set = calloc(1, sizeof(*set));
	size_t n = 0;

	if (!set)
		return NULL;
	while (list[n])
		n++;
	set->m = calloc(n ? n : 1, sizeof(*set->m));
	set->order = calloc(n ? n : 1, sizeof(*set->order));
	if (!set->m || !set->order) {
		family_set__free(set);
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		set->m[i] = (struct family_member){ .ops = list[i], .set = set };
	set->n = n;
	return set;
}

/* Forgets member i's place in the open order. */
static void unorder(struct family_set *set, size_t i)
{
	for (size_t k = 0; k < set->n_order; k++) {
		if (set->order[k] != i)
			continue;
		memmove(&set->order[k], &set->order[k + 1], (set->n_order - k - 1) * sizeof(size_t));
		set->n_order--;
		return;
	}
}

static void stop_member(struct family_set *set, size_t i)
{
	set->m[i].ops->free(set->m[i].fam);
	set->m[i].fam = NULL;
	unorder(set, i);
}

void family_set__free(struct family_set *set)
{
	if (!set)
		return;
	/* The last opened first: a family needed by another outlives it. */
	while (set->n_order)
		stop_member(set, set->order[set->n_order - 1]);
	free(set->order);
	free(set->m);
	free(set);
}

size_t family_set__count(const struct family_set *set)
{
	return set->n;
}

const char *family_set__name(const struct family_set *set, size_t i)
{
	return set->m[i].ops->name;
}

const struct family_status *family_set__status(const struct family_set *set, size_t i)
{
	return &set->m[i].status;
}

bool family_set__runs(const struct family_set *set, size_t i)
{
	return set->m[i].fam != NULL;
}

int family_set__events_fd(const struct family_set *set, size_t i)
{
	return set->m[i].fam ? set->m[i].ops->events_fd(set->m[i].fam) : -1;
}

bool family_set__any_runs(const struct family_set *set)
{
	return set->n_order > 0;
}

bool family_set__any_enabled(const struct family_set *set, const struct config *cfg)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->m[i].ops->enabled(cfg))
			return true;
	return false;
}

bool family_set__names_processes(const struct family_set *set, const struct config *cfg)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->m[i].ops->names_processes && set->m[i].ops->enabled(cfg))
			return true;
	return false;
}

void family_set__fail(struct family_set *set, const struct config *cfg, const char *why)
{
	for (size_t i = 0; i < set->n; i++) {
		if (!set->m[i].ops->enabled(cfg))
			continue;
		set->m[i].status.state = FAMILY_FAILED;
		snprintf(set->m[i].status.error, sizeof(set->m[i].status.error), "%s", why);
	}
}

/* A family's start in the log: the path it took, or why it failed. */
static void log_start(const struct family_member *m)
{
	const char *name = m->ops->name;

	if (!m->fam)
		log_error(name, HM_E_PROBE_FAILED, LOG_FIELDS(LF_STR("probe", name)),
			  "probe family failed, running without it: %s", m->status.error);
	else if (m->status.path[0])
		log_info(name, "attached: %s", m->status.path);
}

static struct family_member *member_of(struct family_set *set, const struct family_ops *ops)
{
	for (size_t i = 0; ops && i < set->n; i++)
		if (set->m[i].ops == ops)
			return &set->m[i];
	return NULL;
}

/* Settles need now that peer, which needs it, is open or not (NULL: no family needs it). */
static void settle(struct family_set *set, struct family_member *need,
		   const struct family_member *peer)
{
	if (!need->fam || !need->ops->settle || need->settled)
		return;
	need->settled = true;
	if (need->ops->settle(need->fam, peer ? peer->fam : NULL,
			      peer ? &peer->status : &(struct family_status){ 0 }, &need->status))
		stop_member(set, (size_t)(need - set->m));
	log_start(need);
}

static void open_member(struct family_set *set, struct family_member *m,
			const struct family_ctx *ctx)
{
	struct family_member *need = member_of(set, m->ops->needs);
	struct family_ctx c = *ctx;

	if (m->visited)
		return;
	m->visited = true;
	if (need)
		open_member(set, need, ctx);
	if (m->ops->enabled(ctx->cfg)) {
		c.need = need ? need->fam : NULL;
		m->fam = m->ops->open(&c, &m->status);
		if (m->fam)
			set->order[set->n_order++] = (size_t)(m - set->m);
		/* A family still to settle says how it started once settled. */
		if (!m->fam || !m->ops->settle)
			log_start(m);
	}
	if (need)
		settle(set, need, m);
}

void family_set__open(struct family_set *set, const struct family_ctx *ctx)
{
	for (size_t i = 0; i < set->n; i++)
		open_member(set, &set->m[i], ctx);
	/* Needed by no family of this list: settled without it. */
	for (size_t i = 0; i < set->n; i++)
		settle(set, &set->m[i], NULL);
}

bool family_set__feeds_workloads(const struct family_set *set)
{
	bool rows = false;

	for (size_t i = 0; i < set->n; i++) {
		if (!set->m[i].ops->workload_rows)
			continue;
		if (!set->m[i].fam)
			return false;
		rows = true;
	}
	return rows;
}

void family_set__set_workloads(struct family_set *set, struct workloads *wl)
{
	set->wl = wl;
	for (size_t i = 0; wl && i < set->n; i++)
		if (set->m[i].fam)
			set->m[i].ops->set_workloads(set->m[i].fam, wl);
}

void family_set__window(struct family_set *set, struct record *rec)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct family_member *m = &set->m[i];

		if (!m->fam)
			continue;
		(void)m->ops->window(m->fam, rec);
		if (m->ops->workload_rows && set->wl)
			(void)workloads__window(set->wl, rec);
	}
}

void family_set__shed(struct family_set *set, unsigned int level)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct family_member *m = &set->m[i];
		unsigned int prio = m->ops->shed_priority;

		if (m->fam)
			m->ops->shed(m->fam, prio && level >= prio);
	}
}

void family_set__measure(const struct family_set *set, struct bpfmem *b)
{
	for (size_t k = 0; k < set->n_order; k++) {
		const struct family_member *m = &set->m[set->order[k]];

		(void)bpfmem_add_object(b, m->ops->name, m->ops->object(m->fam));
	}
}

void family_set__on_batch(struct family_set *set, family_batch_fn fn, void *ctx)
{
	set->on_batch = fn;
	set->on_batch_ctx = ctx;
}

static void begin_batch(const struct family_set *set)
{
	if (set->on_batch)
		set->on_batch(set->on_batch_ctx);
}

/* One batch of m's events, failures logged; true when it had more waiting. */
static bool read_batch(const struct family_member *m)
{
	const char *name = m->ops->name;
	int ret = m->ops->poll(m->fam);

	if (ret < 0)
		log_error(name, HM_E_RING_READ, LOG_FIELDS(LF_STR("probe", name), LF_ERRNO(-ret)),
			  "ring buffer read failed: %s", strerror(-ret));
	return ret == FAMILY_RING_BATCH;
}

/* The callback of a family's ring buffer fd: a batch of its events. */
static void on_ring(void *ctx, int fd, uint32_t events)
{
	struct family_member *m = ctx;

	(void)fd;
	(void)events;
	begin_batch(m->set);
	m->set->more |= read_batch(m);
	m->polled = true;
}

int family_set__watch(struct family_set *set, struct evloop *loop)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < set->n; i++) {
		struct family_member *m = &set->m[i];

		if (m->fam)
			ret = evloop__add(loop, m->ops->epoll_fd(m->fam), EPOLLIN, on_ring, m);
	}
	return ret;
}

bool family_set__poll_rest(struct family_set *set)
{
	bool more = set->more, begun = false;

	for (size_t i = 0; i < set->n; i++) {
		struct family_member *m = &set->m[i];

		if (m->fam && !m->polled) {
			if (!begun)
				begin_batch(set);
			begun = true;
			more |= read_batch(m);
		}
		m->polled = false;
	}
	set->more = false;
	return more;
}

bool family_set__drain(struct family_set *set)
{
	bool more = false;

	begin_batch(set);
	for (size_t i = 0; i < set->n; i++)
		if (set->m[i].fam)
			more |= read_batch(&set->m[i]);
	return more;
}
