/* Syscall latency family: loads syscalls.bpf.c, turns its per-CPU maps into window metrics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/histogram.h"
#include "bpf/syscalls.h"
#include "syscalls.skel.h"
#include "config/config.h"
#include "probes/counters.h"
#include "core/encode.h"
#include "probes/exemap.h"
#include "probes/kfeatures.h"
#include "record/hist.h"
#include "core/log.h"
#include "core/names.h"
#include "probes/net_family.h"
#include "probes/pidcache.h"
#include "sinks/pipeline.h"
#include "probes/syscall_family.h"
#include "probes/workloads.h"

/* What the previous window read, to diff the kernel's cumulative counters. */
struct sc_prev {
	uint64_t calls;
	uint64_t errors;
	uint32_t hist[HIST_BUCKETS];	/* summed over CPUs modulo 2^32 */
};

struct syscalls {
	struct syscalls_bpf *skel;
	struct family_ring *ring;
	struct pipeline *out;
	struct pidcache *procs;		/* not owned; NULL: no exe, cgroup, container id */
	int ncpu;
	void *percpu;			/* one map value for every possible CPU */
	const struct sc_hist *hists;	/* the hists map, mapped: [shards * SC_MAX_NR] */
	size_t hists_len;
	uint32_t shards;
	struct sc_prev *prev;		/* [SC_MAX_NR] */
	struct counters *errno_prev;	/* keyed by struct sc_errno_key */
	uint64_t drops_prev[SC_DROP_MAX];
	uint64_t counts[HIST_BUCKETS];	/* scratch: one syscall's window histogram */
	uint64_t read_errors;
};

static const char *const drop_names[SC_DROP_MAX] = {
	[SC_DROP_SLOW_EVENT] = "slow_syscall",
	[SC_DROP_ERRNO_MAP] = "errno_map",
	[SC_DROP_TASK_STORAGE] = "task_storage",
	[SC_DROP_SHED] = "shed",
	[SC_DROP_EXE_MAP] = "exe_map",
	[SC_DROP_THREAD_MAP] = "thread_map",
	[SC_DROP_CG_MAP] = "cgroup_map",
	[SC_DROP_CG_ERRNO_MAP] = "cgroup_errno_map",
};

static int set_bitmaps(struct syscalls_bpf *skel, const struct config *cfg, char *err,
		       size_t errlen)
{
	uint64_t include[SC_BITMAP_WORDS] = {}, exclude[SC_BITMAP_WORDS] = {};
	uint64_t *traced = (uint64_t *)skel->rodata->traced;
	uint64_t *blocking = (uint64_t *)skel->rodata->blocking;
	char bad[64];

	if (names_syscall_set(cfg->syscalls_include, include, SC_BITMAP_WORDS, bad, sizeof(bad)) ||
	    names_syscall_set(cfg->syscalls_exclude, exclude, SC_BITMAP_WORDS, bad, sizeof(bad)) ||
	    names_syscall_set(cfg->syscalls_blocking, blocking, SC_BITMAP_WORDS, bad, sizeof(bad))) {
		snprintf(err, errlen, "unknown syscall '%s'", bad);
		return -EINVAL;
	}
	for (int i = 0; i < SC_BITMAP_WORDS; i++)
		traced[i] = (cfg->syscalls_include[0] ? include[i] : ~0ULL) & ~exclude[i];
	return 0;
}

static int handle_slow(void *ctx, void *data, size_t len)
{
	const struct slow_syscall_event *e = data;
	struct syscalls *sc = ctx;
	Hostmon__V1__SlowSyscall *m;
	struct pidcache_key key;
	struct record *rec;

	if (len < sizeof(*e))
		return 0;
	rec = pipeline__event(sc->out, FLOW_SLOW_SYSCALL, e->ts_ns);
	m = &rec->ev.slow_syscall;
	m->pid = e->tgid;
	m->tid = e->pid;
	m->comm = record__text(rec, e->comm, sizeof(e->comm));
	key = (struct pidcache_key){ .pid = e->tgid, .start_ns = e->start_ns, .exec_id = e->exec_id };
	family_proc_meta(sc->procs, &key, &m->exe, &m->cgroup, &m->container_id);
	m->syscall = (char *)names_syscall(e->nr);
	m->nr = e->nr;
	m->latency_ns = e->latency_ns;
	m->ret = e->ret;
	if (e->ret < 0 && e->ret >= -4095)
		m->error = (char *)names_errno((int)-e->ret);
	pipeline__send(sc->out, rec);
	return 0;
}

/*
 * Where a call's start waits for its exit: task storage where the kernel has
 * it (5.11), else a hash keyed by thread id (bounded, full counted as
 * thread_map drops). The programs and the map of the other path are neither
 * loaded nor created.
 */
static void choose_path(struct syscalls *sc, const struct kernel_features *kf,
			struct family_status *status)
{
	struct syscalls_bpf *skel = sc->skel;
	bool ts = kf->task_storage && kf->task_btf;

	bpf_program__set_autoload(skel->progs.sc_enter, ts);
	bpf_program__set_autoload(skel->progs.sc_exit, ts);
	bpf_map__set_autocreate(skel->maps.starts, ts);
	bpf_program__set_autoload(skel->progs.sc_enter_thread, !ts);
	bpf_program__set_autoload(skel->progs.sc_exit_thread, !ts);
	bpf_program__set_autoload(skel->progs.sc_thread_exit, !ts);
	bpf_map__set_autocreate(skel->maps.thread_starts, ts ? false : true);
	if (ts)
		snprintf(status->path, sizeof(status->path), "task storage");
	else
		snprintf(status->path, sizeof(status->path),
			 "thread map (%u threads): no task storage on this kernel",
			 (unsigned int)SC_THREAD_ENTRIES);
}

/*
 * One histogram shard per possible CPU up to SC_HIST_SHARDS_MAX, shared
 * (atomic adds) beyond. HOSTMON_HIST_SHARDS (1 to SC_HIST_SHARDS_MAX) lowers
 * the cap, so that a test on a small machine takes the shared path.
 */
static int size_hists(struct syscalls *sc)
{
	const char *env = getenv("HOSTMON_HIST_SHARDS");
	uint32_t cap = SC_HIST_SHARDS_MAX;

	if (env && *env >= '1' && *env <= '0' + SC_HIST_SHARDS_MAX && !env[1])
		cap = (uint32_t)(*env - '0');
	sc->shards = sc->ncpu < (int)cap ? (uint32_t)sc->ncpu : cap;
	sc->skel->rodata->hist_shards = sc->shards;
	sc->skel->rodata->hist_atomic = (uint32_t)sc->ncpu > sc->shards;
	return bpf_map__set_max_entries(sc->skel->maps.hists, sc->shards * SC_MAX_NR);
}

static int map_hists(struct syscalls *sc, char *err, size_t errlen)
{
	void *m;

	sc->hists_len = (size_t)sc->shards * SC_MAX_NR * sizeof(struct sc_hist);
	m = mmap(NULL, sc->hists_len, PROT_READ, MAP_SHARED, bpf_map__fd(sc->skel->maps.hists), 0);
	if (m == MAP_FAILED) {
		int ret = -errno;

		snprintf(err, errlen, "mapping the histograms: %s", strerror(-ret));
		return ret;
	}
	sc->hists = m;
	return 0;
}

static int load_and_attach(struct syscalls *sc, const struct config *cfg,
			   const struct exemap *exe, const struct net *net, char *err, size_t errlen)
{
	int ret;

	sc->skel->rodata->slow_threshold_ns = cfg->slow_threshold_us * 1000;
	sc->skel->rodata->slow_events = cfg->slow_events;
	sc->skel->rodata->sample_above = cfg->sample_above;
	sc->skel->rodata->workloads = cfg->workloads_enabled;
	sc->skel->rodata->self_tgid = family_self_tgid(cfg->trace_self);
	sc->skel->rodata->wakeup_bytes = family_wakeup_bytes(cfg->ringbuf_bytes, cfg->ring_flush_ms);
	sc->skel->rodata->net_exits = net != NULL;
	sc->skel->rodata->net_events_per_sec = cfg->net_events_per_sec;
	ret = set_bitmaps(sc->skel, cfg, err, errlen);
	if (!ret)
		ret = exemap__share(exe, sc->skel->maps.exe_paths, err, errlen);
	if (!ret)
		ret = net__share(net, sc->skel->obj, err, errlen);
	if (!ret && (ret = size_hists(sc)))
		snprintf(err, errlen, "sizing the histograms: %s", strerror(-ret));
	if (!ret && (ret = bpf_map__set_max_entries(sc->skel->maps.cg_stats,
						    cfg->workloads_entries)))
		snprintf(err, errlen, "sizing the workload map: %s", strerror(-ret));
	if (ret)
		return ret;
	ret = family_start(sc->skel->skeleton, sc->skel->maps.events, cfg->ringbuf_bytes,
			   handle_slow, sc, &sc->ring, err, errlen);
	return ret ? ret : map_hists(sc, err, errlen);
}

static void sc_free(void *fam);

/* net (ctx->need): the net family, whose maps this object takes over; NULL: none runs. */
static void *sc_open(const struct family_ctx *ctx, struct family_status *status)
{
	const struct config *cfg = ctx->cfg;
	struct syscalls *sc = calloc(1, sizeof(*sc));
	int ret = -ENOMEM;

	status->state = FAMILY_FAILED;
	if (!sc)
		goto fail;
	sc->out = ctx->out;
	sc->procs = ctx->procs;
	sc->ncpu = libbpf_num_possible_cpus();
	sc->prev = calloc(SC_MAX_NR, sizeof(*sc->prev));
	sc->percpu = calloc(sc->ncpu > 0 ? sc->ncpu : 1, sizeof(struct sc_stats));
	sc->errno_prev = counters__new(sizeof(struct sc_errno_key));
	if (sc->ncpu <= 0 || !sc->prev || !sc->percpu || !sc->errno_prev)
		goto fail;
	sc->skel = syscalls_bpf__open();
	if (!sc->skel) {
		ret = -errno;
		snprintf(status->error, sizeof(status->error), "open failed: %s", strerror(-ret));
		goto fail;
	}
	choose_path(sc, ctx->kf, status);
	ret = load_and_attach(sc, cfg, ctx->exe, ctx->need, status->error, sizeof(status->error));
	if (ret)
		goto fail;
	status->state = FAMILY_ATTACHED;
	return sc;
fail:
	if (!status->error[0])
		snprintf(status->error, sizeof(status->error), "%s", strerror(-ret));
	sc_free(sc);
	return NULL;
}

static void sc_free(void *fam)
{
	struct syscalls *sc = fam;

	if (!sc)
		return;
	family_ring__free(sc->ring);
	if (sc->hists)
		munmap((void *)sc->hists, sc->hists_len);
	syscalls_bpf__destroy(sc->skel);
	counters__free(sc->errno_prev);
	free(sc->percpu);
	free(sc->prev);
	free(sc);
}

static bool sc_enabled(const struct config *cfg)
{
	return cfg->syscalls_enabled;
}

static int sc_epoll_fd(const void *fam)
{
	const struct syscalls *sc = fam;

	return family_ring__epoll_fd(sc->ring);
}

/* Its per-workload maps (cg_stats, cg_errnos) are the table's rows; -1 each when [workloads] is off. */
static void sc_set_workloads(void *fam, struct workloads *wl)
{
	struct syscalls *sc = fam;
	bool on = sc->skel->rodata->workloads;

	workloads__set_syscalls(wl, on ? bpf_map__fd(sc->skel->maps.cg_stats) : -1,
				on ? bpf_map__fd(sc->skel->maps.cg_errnos) : -1);
}

static int sc_events_fd(const void *fam)
{
	const struct syscalls *sc = fam;

	return bpf_map__fd(sc->skel->maps.events);
}

static const struct bpf_object *sc_object(const void *fam)
{
	const struct syscalls *sc = fam;

	return sc->skel->obj;
}

static void sc_shed(void *fam, bool on)
{
	struct syscalls *sc = fam;

	__atomic_store_n(&sc->skel->bss->shed, on, __ATOMIC_RELAXED);
}

static int sc_poll(void *fam)
{
	struct syscalls *sc = fam;

	return family_ring__consume(sc->ring);
}

/* Adds errnos {"ENOENT": n, ...} to each syscall of the window that failed. */
static void window_errnos(struct syscalls *sc, struct record *rec, Hostmon__V1__SyscallWindow **by_nr)
{
	int fd = bpf_map__fd(sc->skel->maps.errnos);
	struct sc_errno_key key, next, *cur = NULL;
	Hostmon__V1__SyscallWindow *w;
	uint64_t now, delta;

	while (bpf_map_get_next_key(fd, cur, &next) == 0) {
		key = next;
		cur = &key;
		if (bpf_map_lookup_elem(fd, &key, &now)) {
			sc->read_errors++;
			continue;
		}
		delta = counters__delta(sc->errno_prev, &key, now);
		if (!delta || key.nr >= SC_MAX_NR || !(w = by_nr[key.nr]))
			continue;
		record__count(rec, &w->errnos, &w->n_errnos,
			      &hostmon__v1__syscall_window__errnos_entry__descriptor,
			      names_errno((int)key.err), delta);
	}
}

/* The window's histogram of nr into sc->counts: its shards summed, less the last window's. */
static void window_hist(struct syscalls *sc, uint32_t nr)
{
	struct sc_prev *prev = &sc->prev[nr];
	uint32_t sum[HIST_BUCKETS] = {};

	for (uint32_t shard = 0; shard < sc->shards; shard++) {
		const struct sc_hist *h = &sc->hists[shard * SC_MAX_NR + nr];

		for (unsigned int b = 0; b < HIST_BUCKETS; b++)
			sum[b] += h->hist[b];
	}
	for (unsigned int b = 0; b < HIST_BUCKETS; b++) {
		sc->counts[b] = (uint32_t)(sum[b] - prev->hist[b]);
		prev->hist[b] = sum[b];
	}
}

/*
 * The window's calls of nr, its errors and maximum; its histogram only when
 * it had calls (a call counted here whose bucket is not written yet shows in
 * the next window's histogram).
 */
static uint64_t window_read_one(struct syscalls *sc, uint32_t nr, uint64_t epoch,
				uint64_t *errors, uint64_t *max_ns)
{
	const struct sc_stats *cpu_stats = sc->percpu;
	struct sc_prev *prev = &sc->prev[nr];
	uint64_t calls = 0, errs = 0, max = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(sc->skel->maps.stats), &nr, sc->percpu)) {
		sc->read_errors++;
		return 0;
	}
	for (int cpu = 0; cpu < sc->ncpu; cpu++) {
		const struct sc_stats *s = &cpu_stats[cpu];

		calls += s->calls;
		errs += s->errors;
		if (s->max_epoch[epoch & 1] == (uint32_t)epoch && s->max_ns[epoch & 1] > max)
			max = s->max_ns[epoch & 1];
	}
	*errors = errs - prev->errors;
	*max_ns = max;
	calls -= prev->calls;
	prev->calls += calls;
	prev->errors = errs;
	if (calls)
		window_hist(sc, nr);
	return calls;
}

/*
 * Coarsens the window's histogram into the fixed le= buckets, each fine
 * bucket going where its midpoint falls (as the percentiles read it), and
 * estimates the latency sum from the same midpoints.
 */
static void window_buckets(struct syscalls *sc, struct record *rec, Hostmon__V1__SyscallWindow *w,
			   uint64_t *total)
{
	uint64_t coarse[HIST_LE_COUNT + 1] = {}, mid, sum = 0;
	unsigned int le = 0;

	*total = 0;
	for (uint32_t b = 0; b < HIST_BUCKETS; b++) {
		if (!sc->counts[b])
			continue;
		mid = hist_bucket_low(b) + hist_bucket_width(b) / 2;
		while (le < HIST_LE_COUNT && mid > hist_le_ns[le])
			le++;
		coarse[le] += sc->counts[b];
		sum += sc->counts[b] * mid;
		*total += sc->counts[b];
	}
	w->sum_ns = sum;
	w->buckets = record__alloc(rec, sizeof(coarse));
	if (w->buckets) {
		memcpy(w->buckets, coarse, sizeof(coarse));
		w->n_buckets = HIST_LE_COUNT + 1;
	}
}

static Hostmon__V1__SyscallWindow *window_syscall(struct syscalls *sc, struct record *rec,
						  uint32_t nr, uint64_t calls, uint64_t errors,
						  uint64_t max_ns)
{
	Hostmon__V1__MetricsWindow *m = &rec->ev.metrics;
	Hostmon__V1__SyscallWindow *w = record__push(rec, &m->syscalls, &m->n_syscalls,
						     &hostmon__v1__syscall_window__descriptor);
	uint64_t total;

	if (!w)
		return NULL;
	window_buckets(sc, rec, w, &total);
	w->syscall = (char *)names_syscall(nr);
	w->nr = nr;
	w->calls = calls;
	w->errors = errors;
	w->p50_ns = hist_quantile(sc->counts, total, 5000, max_ns);
	w->p95_ns = hist_quantile(sc->counts, total, 9500, max_ns);
	w->p99_ns = hist_quantile(sc->counts, total, 9900, max_ns);
	w->max_ns = max_ns;
	return w;
}

static void window_drops(struct syscalls *sc, struct record *rec)
{
	int fd = bpf_map__fd(sc->skel->maps.drops);
	Hostmon__V1__DropCounters *dc = record__drops(rec, "syscalls");
	uint64_t now;

	for (uint32_t i = 0; i < SC_DROP_MAX; i++) {
		if (counters_read_percpu(fd, &i, sc->percpu, sc->ncpu, &now)) {
			sc->read_errors++;
			continue;
		}
		record__drop(rec, dc, drop_names[i], now - sc->drops_prev[i]);
		sc->drops_prev[i] = now;
	}
	record__drop(rec, dc, "map_read_errors", sc->read_errors + counters__errors(sc->errno_prev));
}

/*
 * Closes the window: the metrics record's syscalls (the window's own counts,
 * percentiles, coarse buckets and their bounds, sum_ns estimated from the
 * histogram) and its "syscalls" drops.
 */
static int sc_window(void *fam, struct record *rec)
{
	Hostmon__V1__SyscallWindow *by_nr[SC_MAX_NR] = {};
	struct syscalls *sc = fam;
	const uint64_t *traced = (const uint64_t *)sc->skel->rodata->traced;
	uint64_t epoch, calls, errors, max_ns;

	rec->ev.metrics.n_bucket_le_ns = HIST_LE_COUNT;
	rec->ev.metrics.bucket_le_ns = (uint64_t *)hist_le_ns;

	/* New calls record their maximum in the other slot from here on. */
	epoch = __atomic_fetch_add(&sc->skel->bss->epoch, 1, __ATOMIC_SEQ_CST);
	for (uint32_t nr = 0; nr < SC_MAX_NR; nr++) {
		if (!(traced[nr / 64] & (1ULL << (nr % 64))))
			continue;
		calls = window_read_one(sc, nr, epoch, &errors, &max_ns);
		if (calls)
			by_nr[nr] = window_syscall(sc, rec, nr, calls, errors, max_ns);
	}
	window_errnos(sc, rec, by_nr);
	window_drops(sc, rec);
	return 0;
}

const struct family_ops syscall_family = {
	.name = "syscalls",
	.enabled = sc_enabled,
	.open = sc_open,
	.free = sc_free,
	.epoll_fd = sc_epoll_fd,
	.events_fd = sc_events_fd,
	.poll = sc_poll,
	.window = sc_window,
	.shed = sc_shed,
	.shed_priority = 1,	/* slow_syscall events go first */
	.object = sc_object,
	.set_workloads = sc_set_workloads,
	.workload_rows = true,
	.names_processes = true,
	.needs = &net_family,
};
