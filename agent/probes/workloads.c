/* RED per workload: windows of the kernel's per-cgroup counts, ranked, named, and the rest summed. */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "bpf/histogram.h"
#include "bpf/syscalls.h"
#include "probes/counters.h"
#include "record/hist.h"
#include "core/names.h"
#include "record/record.h"
#include "probes/workload.h"
#include "probes/workload_cache.h"
#include "probes/workloads.h"

/* The last cumulative values read of one (cgroup, syscall) entry. */
struct cg_node {
	struct sc_cg_key key;
	uint64_t calls;
	uint64_t errors;
	uint32_t idle;			/* windows in a row without a call */
	uint32_t hist[SC_CG_BUCKETS];
};

/* One (cgroup, syscall) of the window with calls. */
struct wl_row {
	struct sc_cg_key key;
	uint64_t calls, errors, p50, p95, p99;
	uint32_t tgid;				/* a process of the cgroup (the kernel noted it) */
	Hostmon__V1__WorkloadSyscall *msg;	/* set when its workload is in the top */
};

/* One workload of the window: its rows, figures and the events counted for it. */
struct wl_sum {
	uint64_t cgid;
	uint64_t calls, errors, crashes, ooms, failures;
	uint32_t tgid;			/* a process of the cgroup, to name it by; 0: none known */
	size_t row0, nrows;
};

struct workloads {
	uint32_t top;
	uint32_t idle_windows;
	struct workload_cache *names;	/* not owned */
	int stats_fd, errnos_fd, failures_fd;
	void *prev;			/* tsearch tree of struct cg_node */
	struct counters *errno_prev;	/* struct sc_cg_errno_key -> errors */
	struct counters *fail_prev;	/* cgroup id -> failures */
	struct wl_row *rows;
	size_t nrows, rows_cap;
	struct wl_sum *sums;
	size_t nsums, sums_cap;
	uint64_t evicted;		/* this window's */
	uint64_t read_errors;
	struct sc_cg_stats value;	/* scratch: one entry read */
	uint64_t counts[SC_CG_BUCKETS];	/* scratch: one entry's window histogram */
	struct sc_cg_key *stale;	/* scratch: the keys of idle nodes to delete */
	size_t nstale, stale_cap;
};

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

struct workloads *workloads__new(uint32_t top, uint32_t idle_windows, struct workload_cache *names)
{
	struct workloads *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->top = top;
	w->idle_windows = idle_windows ? idle_windows : 1;
	w->names = names;
	w->stats_fd = w->errnos_fd = w->failures_fd = -1;
	w->errno_prev = counters__new(sizeof(struct sc_cg_errno_key));
	w->fail_prev = counters__new(sizeof(uint64_t));
	if (!w->errno_prev || !w->fail_prev) {
		workloads__free(w);
		errno = ENOMEM;
		return NULL;
	}
	return w;
}

void workloads__free(struct workloads *w)
{
	if (!w)
		return;
	tdestroy(w->prev, free);
	counters__free(w->errno_prev);
	counters__free(w->fail_prev);
	free(w->rows);
	free(w->sums);
	free(w->stale);
	free(w);
}

void workloads__set_syscalls(struct workloads *w, int stats_fd, int errnos_fd)
{
	w->stats_fd = stats_fd;
	w->errnos_fd = errnos_fd;
}

void workloads__set_net(struct workloads *w, int failures_fd)
{
	w->failures_fd = failures_fd;
}

uint64_t workloads__read_errors(const struct workloads *w)
{
	return w->read_errors + counters__errors(w->errno_prev) + counters__errors(w->fail_prev);
}

static int cmp_key(const void *a, const void *b)
{
	const struct sc_cg_key *ka = a, *kb = b;

	if (ka->cgid != kb->cgid)
		return ka->cgid < kb->cgid ? -1 : 1;
	return ka->nr < kb->nr ? -1 : ka->nr > kb->nr;
}

/* The window's sum for cgid, made on first use (sums are unsorted while the window is read). */
static struct wl_sum *sum_of(struct workloads *w, uint64_t cgid)
{
	for (size_t i = w->nsums; i-- > 0;)
		if (w->sums[i].cgid == cgid)
			return &w->sums[i];
	if (grow((void **)&w->sums, &w->sums_cap, w->nsums + 1, sizeof(*w->sums)))
		return NULL;
	w->sums[w->nsums] = (struct wl_sum){ .cgid = cgid };
	return &w->sums[w->nsums++];
}

void workloads__crash(struct workloads *w, uint64_t cgid, bool oom)
{
	struct wl_sum *s;

	if (!w)
		return;
	s = sum_of(w, cgid);
	if (!s) {
		w->read_errors++;
		return;
	}
	if (oom)
		s->ooms++;
	else
		s->crashes++;
}

/* The previous values of key, a new zeroed node on first sight; NULL without memory. */
static struct cg_node *node_of(struct workloads *w, const struct sc_cg_key *key)
{
	struct cg_node *n = calloc(1, sizeof(*n)), **found;

	if (!n)
		return NULL;
	n->key = *key;
	found = tsearch(n, &w->prev, cmp_key);
	if (!found) {
		free(n);
		return NULL;
	}
	if (*found != n)
		free(n);
	return *found;
}

/* One entry's window: its deltas into a new row (with calls), its node updated. */
static int read_entry(struct workloads *w, const struct sc_cg_key *key)
{
	uint64_t calls, errors, total = 0;
	struct cg_node *n;
	struct wl_row *r;

	if (bpf_map_lookup_elem(w->stats_fd, key, &w->value)) {
		w->read_errors++;
		return 0;
	}
	n = node_of(w, key);
	if (!n)
		return -ENOMEM;
	calls = w->value.calls - n->calls;
	errors = w->value.errors - n->errors;
	n->calls = w->value.calls;
	n->errors = w->value.errors;
	for (unsigned int b = 0; b < SC_CG_BUCKETS; b++) {
		w->counts[b] = (uint32_t)(w->value.hist[b] - n->hist[b]);
		n->hist[b] = w->value.hist[b];
		total += w->counts[b];
	}
	if (!calls && !errors) {
		n->idle++;
		return 0;
	}
	n->idle = 0;
	if (grow((void **)&w->rows, &w->rows_cap, w->nrows + 1, sizeof(*w->rows)))
		return -ENOMEM;
	r = &w->rows[w->nrows++];
	/* A sampled syscall's calls are estimated, its errors exact: never fewer calls than errors. */
	*r = (struct wl_row){ .key = *key, .calls = calls > errors ? calls : errors, .errors = errors,
			      .tgid = w->value.tgid };
	r->p50 = hist_quantile_coarse(w->counts, SC_CG_SHIFT, total, 5000, 0);
	r->p95 = hist_quantile_coarse(w->counts, SC_CG_SHIFT, total, 9500, 0);
	r->p99 = hist_quantile_coarse(w->counts, SC_CG_SHIFT, total, 9900, 0);
	return 0;
}

static void note_stale(const void *nodep, VISIT which, void *ctx)
{
	struct cg_node *n = *(struct cg_node *const *)nodep;
	struct workloads *w = ctx;

	if ((which != postorder && which != leaf) || n->idle < w->idle_windows)
		return;
	if (!grow((void **)&w->stale, &w->stale_cap, w->nstale + 1, sizeof(*w->stale)))
		w->stale[w->nstale++] = n->key;
}

/*
 * Entries idle for idle_windows windows leave the kernel map and the tree, so
 * that the map keeps room for active workloads. A call between the last read
 * and the delete is not counted for its workload (host-wide counts keep it).
 */
static void evict_idle(struct workloads *w)
{
	w->nstale = 0;
	twalk_r(w->prev, note_stale, w);
	for (size_t i = 0; i < w->nstale; i++) {
		struct cg_node **found = tfind(&w->stale[i], &w->prev, cmp_key), *n;

		if (!found)
			continue;
		n = *found;
		if (bpf_map_delete_elem(w->stats_fd, &n->key) && errno != ENOENT)
			w->read_errors++;
		tdelete(n, &w->prev, cmp_key);
		free(n);
		w->evicted++;
	}
}

static int read_stats(struct workloads *w)
{
	struct sc_cg_key key, next, *cur = NULL;
	int err = 0;

	while (!err && bpf_map_get_next_key(w->stats_fd, cur, &next) == 0) {
		key = next;
		cur = &key;
		err = read_entry(w, &key);
	}
	evict_idle(w);
	return err;
}

/*
 * Each entry of a map of u64 counts keyed by key_size bytes (at most 16)
 * whose count grew since the last window: cb(w, key, delta, ctx). An entry
 * that did not grow is deleted, so that the map keeps room; prev forgets it
 * at its sweep.
 */
static void each_delta(struct workloads *w, int fd, size_t key_size, struct counters *prev,
		       void (*cb)(struct workloads *w, const void *key, uint64_t delta, void *ctx),
		       void *ctx)
{
	uint64_t key[2], next[2], now, delta;
	const void *cur = NULL;

	while (bpf_map_get_next_key(fd, cur, next) == 0) {
		memcpy(key, next, key_size);
		cur = key;
		if (bpf_map_lookup_elem(fd, key, &now)) {
			w->read_errors++;
			continue;
		}
		delta = counters__delta(prev, key, now);
		if (delta)
			cb(w, key, delta, ctx);
		else
			bpf_map_delete_elem(fd, key);
	}
	counters__sweep(prev);
}

static void add_failures(struct workloads *w, const void *key, uint64_t delta, void *ctx)
{
	struct wl_sum *s = sum_of(w, *(const uint64_t *)key);

	(void)ctx;
	if (s)
		s->failures += delta;
	else
		w->read_errors++;
}

/* Rows in (cgroup, calls) order, then one sum per cgroup over its rows. */
static int cmp_row(const void *a, const void *b)
{
	const struct wl_row *ra = a, *rb = b;

	if (ra->key.cgid != rb->key.cgid)
		return ra->key.cgid < rb->key.cgid ? -1 : 1;
	return ra->calls > rb->calls ? -1 : ra->calls < rb->calls;
}

static int sum_rows(struct workloads *w)
{
	struct wl_sum *s = NULL;

	if (w->nrows)	/* rows is NULL until a first row: qsort wants an array */
		qsort(w->rows, w->nrows, sizeof(*w->rows), cmp_row);
	for (size_t i = 0; i < w->nrows; i++) {
		const struct wl_row *r = &w->rows[i];

		if (!s || s->cgid != r->key.cgid) {
			s = sum_of(w, r->key.cgid);
			if (!s)
				return -ENOMEM;
			s->row0 = i;
		}
		s->calls += r->calls;
		s->errors += r->errors;
		if (!s->tgid)
			s->tgid = r->tgid;
		s->nrows++;
	}
	return 0;
}

/* Crashes, OOM kills and connection failures first, then calls; cgroup 0 (no owner known) last. */
static int cmp_sum(const void *a, const void *b)
{
	const struct wl_sum *sa = a, *sb = b;
	uint64_t fa = sa->crashes + sa->ooms + sa->failures, fb = sb->crashes + sb->ooms + sb->failures;

	if (!sa->cgid != !sb->cgid)
		return !sa->cgid ? 1 : -1;
	if (fa != fb)
		return fa > fb ? -1 : 1;
	if (sa->calls != sb->calls)
		return sa->calls > sb->calls ? -1 : 1;
	return sa->cgid < sb->cgid ? -1 : sa->cgid > sb->cgid;
}

static void add_figures(Hostmon__V1__Workload *m, const struct wl_sum *s)
{
	m->calls += s->calls;
	m->errors += s->errors;
	m->crashes += s->crashes;
	m->oom_kills += s->ooms;
	m->conn_errors += s->failures;
}

/* Names from the cgroup's path, found through a process of it when one is known. */
static void set_names(struct workloads *w, struct record *rec, Hostmon__V1__Workload *m,
		      uint32_t tgid)
{
	const struct workload *wl = NULL;

	if (w->names && workload_cache__lookup_pid(w->names, m->cgroup_id, tgid, &wl))
		wl = NULL;
	if (!wl) {
		char name[32];

		snprintf(name, sizeof(name), "cgroup:%llu", (unsigned long long)m->cgroup_id);
		m->name = record__strdup(rec, name);
		m->runtime = "other";
		return;
	}
	m->name = record__strdup(rec, wl->name);
	m->runtime = (char *)workload_runtime_name(wl->runtime);
	m->container_id = record__strdup(rec, wl->id);
	m->pod_uid = record__strdup(rec, wl->pod_uid);
	m->qos = (char *)workload_qos_name(wl->qos);
	if (wl->path)
		m->cgroup = record__strdup(rec, wl->path);
}

static int top_workload(struct workloads *w, struct record *rec, Hostmon__V1__Workloads *ws,
			const struct wl_sum *s)
{
	Hostmon__V1__Workload *m = record__push(rec, &ws->top, &ws->n_top,
						&hostmon__v1__workload__descriptor);

	if (!m)
		return -ENOMEM;
	m->cgroup_id = s->cgid;
	set_names(w, rec, m, s->tgid);
	add_figures(m, s);
	for (size_t i = s->row0; i < s->row0 + s->nrows; i++) {
		struct wl_row *r = &w->rows[i];
		Hostmon__V1__WorkloadSyscall *sc = record__push(rec, &m->syscalls, &m->n_syscalls,
							       &hostmon__v1__workload_syscall__descriptor);

		if (!sc)
			return -ENOMEM;
		sc->syscall = (char *)names_syscall(r->key.nr);
		sc->nr = r->key.nr;
		sc->calls = r->calls;
		sc->errors = r->errors;
		sc->p50_ns = r->p50;
		sc->p95_ns = r->p95;
		sc->p99_ns = r->p99;
		r->msg = sc;
	}
	return 0;
}

/* cgid's row of syscall nr: rows are sorted by cgroup, then by calls. */
static struct wl_row *row_of(struct workloads *w, uint64_t cgid, uint32_t nr)
{
	size_t lo = 0, hi = w->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->rows[mid].key.cgid < cgid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < w->nrows && w->rows[lo].key.cgid == cgid; lo++)
		if (w->rows[lo].key.nr == nr)
			return &w->rows[lo];
	return NULL;
}

/* A top workload's errors of one errno, to its syscall's errnos. */
static void add_errno(struct workloads *w, const void *k, uint64_t delta, void *ctx)
{
	const struct sc_cg_errno_key *key = k;
	struct wl_row *r = row_of(w, key->cgid, key->nr);

	if (r && r->msg)
		record__count(ctx, &r->msg->errnos, &r->msg->n_errnos,
			      &hostmon__v1__workload_syscall__errnos_entry__descriptor,
			      names_errno((int)key->err), delta);
}

static int fill(struct workloads *w, struct record *rec, Hostmon__V1__Workloads *ws)
{
	int err = 0;

	ws->evicted = w->evicted;
	ws->other = record__msg(rec, &hostmon__v1__workload__descriptor);
	if (!ws->other)
		return -ENOMEM;
	ws->other->name = "other";
	ws->other->runtime = "other";
	if (w->nsums)
		qsort(w->sums, w->nsums, sizeof(*w->sums), cmp_sum);
	for (size_t i = 0; !err && i < w->nsums; i++) {
		const struct wl_sum *s = &w->sums[i];

		if (i < w->top && s->cgid) {
			err = top_workload(w, rec, ws, s);
		} else {
			/* cgroup 0: failures of sockets with no known owner, no workload. */
			add_figures(ws->other, s);
			ws->other_workloads += s->cgid != 0;
		}
	}
	return err;
}

int workloads__window(struct workloads *w, struct record *rec)
{
	Hostmon__V1__MetricsWindow *m = &rec->ev.metrics;
	int err = 0;

	w->nrows = 0;
	w->evicted = 0;
	if (w->stats_fd >= 0)
		err = read_stats(w);
	if (!err && w->failures_fd >= 0)
		each_delta(w, w->failures_fd, sizeof(uint64_t), w->fail_prev, add_failures, NULL);
	if (!err)
		err = sum_rows(w);
	if (!err) {
		m->workloads = record__msg(rec, &hostmon__v1__workloads__descriptor);
		err = m->workloads ? fill(w, rec, m->workloads) : -ENOMEM;
	}
	/* Every errno entry is read, so that the next window's deltas hold. */
	if (!err && w->errnos_fd >= 0)
		each_delta(w, w->errnos_fd, sizeof(struct sc_cg_errno_key), w->errno_prev, add_errno,
			   rec);
	w->nsums = 0;
	return err;
}
