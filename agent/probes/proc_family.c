/* Process crash family: loads proc.bpf.c, emits process_crash and oom_kill records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/proc.h"
#include "proc.skel.h"
#include "config/config.h"
#include "probes/counters.h"
#include "probes/crashtally.h"
#include "core/encode.h"
#include "probes/exemap.h"
#include "probes/kpath.h"
#include "probes/kfeatures.h"
#include "core/log.h"
#include "core/names.h"
#include "probes/pidcache.h"
#include "sinks/pipeline.h"
#include "probes/proc_family.h"
#include "probes/workloads.h"

struct proc {
	struct proc_bpf *skel;
	struct family_ring *ring;
	struct pipeline *out;
	struct workloads *wl;		/* not owned; NULL: no per-workload counts */
	int ncpu;
	uint64_t *percpu;		/* one u64 per possible CPU */
	uint64_t counts_prev[PROC_COUNTS];
	uint64_t drops_prev[PROC_DROP_MAX];
	struct counters *exits_prev;	/* keyed by comm */
	struct crashtally *crashes;	/* this window's crash records by exe */
	uint64_t canaries;		/* and the canary's, this window */
	uint64_t page_kb;
	uint64_t read_errors;
};

static const char *const drop_names[PROC_DROP_MAX] = {
	[PROC_DROP_CRASH_EVENT] = "process_crash",
	[PROC_DROP_OOM_EVENT] = "oom_kill",
	[PROC_DROP_PENDING_MAP] = "pending_map",
	[PROC_DROP_EXIT_MAP] = "exit_map",
	[PROC_DROP_EXE_MAP] = "exe_map",
};

/* A kernel path (bpf/proc.h) as text in rec's arena. */
static char *path_text(struct record *rec, const struct proc_path *p)
{
	char path[KPATH_MAX];

	kpath_string(p, path, sizeof(path));
	return record__strdup(rec, path);
}

/* The process is gone: its container id from the kernel's cgroup paths (v2 first), by the pid cache's rule; "" when none. */
static char *container_text(struct record *rec, const struct proc_path *cgroup,
			    const struct proc_path *memcg)
{
	char path[KPATH_MAX], id[PIDCACHE_ID_LEN + 1];
	int err = -ENOENT;

	if (cgroup) {
		kpath_string(cgroup, path, sizeof(path));
		err = pidcache_container_id(path, id);
	}
	if (err) {
		kpath_string(memcg, path, sizeof(path));
		err = pidcache_container_id(path, id);
	}
	return err ? (char *)"" : record__strdup(rec, id);
}

/*
 * Marks hostmonctl selftest's crash as the canary and counts the record for
 * the window: the canary apart, every other one under its exe.
 */
static void count_crash(struct proc *pr, Hostmon__V1__ProcessCrash *m)
{
	m->canary = crashtally_is_canary(m->comm, m->exe, (int)m->signal, m->sender_pid);
	if (m->canary)
		pr->canaries++;
	else if (crashtally__add(pr->crashes, m->exe, m->comm))
		pr->read_errors++;
}

static void emit_crash(struct proc *pr, const struct proc_crash_event *e)
{
	struct record *rec = pipeline__event(pr->out, FLOW_PROCESS_CRASH, e->ts_ns);
	Hostmon__V1__ProcessCrash *m = &rec->ev.process_crash;
	int sig = e->exit_code & 0x7f;

	m->pid = e->pid;
	m->ppid = e->ppid;
	m->comm = record__text(rec, e->comm, sizeof(e->comm));
	if (e->exe.depth)
		m->exe = path_text(rec, &e->exe);
	m->signal = sig;
	m->signal_name = (char *)names_signal(sig);
	m->core_dumped = !!(e->exit_code & 0x80);
	/* As a shell reports it; wait_status is the raw value waitpid() sees. */
	m->exit_code = 128 + sig;
	m->wait_status = e->exit_code;
	m->cgroup = path_text(rec, &e->cgroup);
	m->memcg = path_text(rec, &e->memcg);
	m->container_id = container_text(rec, &e->cgroup, &e->memcg);
	m->age_ns = e->age_ns;
	m->oom_killed = e->oom_killed;
	if (e->sender_pid) {
		m->sender_pid = e->sender_pid;
		m->sender_comm = record__text(rec, e->sender_comm, sizeof(e->sender_comm));
	}
	count_crash(pr, m);
	pipeline__send(pr->out, rec);
}

static void emit_oom(struct proc *pr, const struct proc_oom_event *e)
{
	struct record *rec = pipeline__event(pr->out, FLOW_OOM_KILL, e->ts_ns);
	Hostmon__V1__OomKill *m = &rec->ev.oom_kill;
	const uint64_t page_kb = pr->page_kb;

	m->pid = e->pid;
	m->comm = record__text(rec, e->comm, sizeof(e->comm));
	m->uid = e->uid;
	m->memcg = path_text(rec, &e->memcg);
	m->container_id = container_text(rec, NULL, &e->memcg);
	m->total_vm_kb = e->total_vm * page_kb;
	m->anon_rss_kb = e->anon_rss * page_kb;
	m->file_rss_kb = e->file_rss * page_kb;
	m->shmem_rss_kb = e->shmem_rss * page_kb;
	m->pgtables_kb = e->pgtables_bytes / 1024;
	m->oom_score_adj = e->oom_score_adj;
	pipeline__send(pr->out, rec);
}

static int handle_event(void *ctx, void *data, size_t len)
{
	struct proc *pr = ctx;
	uint32_t kind;

	if (len < sizeof(kind))
		return 0;
	memcpy(&kind, data, sizeof(kind));
	if (kind == PROC_EV_CRASH && len >= sizeof(struct proc_crash_event)) {
		workloads__crash(pr->wl, ((const struct proc_crash_event *)data)->cgid, false);
		emit_crash(pr, data);
	} else if (kind == PROC_EV_OOM && len >= sizeof(struct proc_oom_event)) {
		workloads__crash(pr->wl, ((const struct proc_oom_event *)data)->cgid, true);
		emit_oom(pr, data);
	}
	return 0;
}

/* Crashes and OOM kills are counted per workload too. */
static void pr_set_workloads(void *fam, struct workloads *wl)
{
	struct proc *pr = fam;

	pr->wl = wl;
}

static int load_and_attach(struct proc *pr, const struct config *cfg, const struct exemap *exe,
			   struct family_status *status)
{
	char *err = status->error;
	size_t errlen = sizeof(status->error);
	/* Since 6.16 sched_process_exit passes group_dead; older kernels need the fallback. */
	bool group_dead = family_tp_args("sched_process_exit") == 2 && !features_off("group_dead");
	int ret;

	snprintf(status->path, sizeof(status->path), "%s",
		 group_dead ? "exit with group_dead" :
			      "exit without group_dead (before 6.16): last thread found per exit");
	bpf_program__set_autoload(pr->skel->progs.proc_exit, group_dead);
	bpf_program__set_autoload(pr->skel->progs.proc_exit_legacy, !group_dead);
	ret = exemap__share(exe, pr->skel->maps.exe_paths, err, errlen);
	if (ret)
		return ret;
	return family_start(pr->skel->skeleton, pr->skel->maps.events, cfg->ringbuf_bytes,
			    handle_event, pr, &pr->ring, err, errlen);
}

static void pr_free(void *fam);

static void *pr_open(const struct family_ctx *ctx, struct family_status *status)
{
	struct proc *pr = calloc(1, sizeof(*pr));
	int ret = -ENOMEM;

	status->state = FAMILY_FAILED;
	if (!pr)
		goto fail;
	pr->out = ctx->out;
	pr->page_kb = (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
	pr->ncpu = libbpf_num_possible_cpus();
	pr->percpu = calloc(pr->ncpu > 0 ? pr->ncpu : 1, sizeof(uint64_t));
	pr->exits_prev = counters__new(TASK_COMM_LEN);
	pr->crashes = crashtally__new();
	if (pr->ncpu <= 0 || !pr->percpu || !pr->exits_prev || !pr->crashes)
		goto fail;
	pr->skel = proc_bpf__open();
	if (!pr->skel) {
		ret = -errno;
		snprintf(status->error, sizeof(status->error), "open failed: %s", strerror(-ret));
		goto fail;
	}
	ret = load_and_attach(pr, ctx->cfg, ctx->exe, status);
	if (ret)
		goto fail;
	status->state = FAMILY_ATTACHED;
	return pr;
fail:
	if (!status->error[0])
		snprintf(status->error, sizeof(status->error), "%s", strerror(-ret));
	pr_free(pr);
	return NULL;
}

static void pr_free(void *fam)
{
	struct proc *pr = fam;

	if (!pr)
		return;
	family_ring__free(pr->ring);
	proc_bpf__destroy(pr->skel);
	counters__free(pr->exits_prev);
	crashtally__free(pr->crashes);
	free(pr->percpu);
	free(pr);
}

static bool pr_enabled(const struct config *cfg)
{
	return cfg->proc_enabled;
}

static int pr_epoll_fd(const void *fam)
{
	const struct proc *pr = fam;

	return family_ring__epoll_fd(pr->ring);
}

static int pr_events_fd(const void *fam)
{
	const struct proc *pr = fam;

	return bpf_map__fd(pr->skel->maps.events);
}

static const struct bpf_object *pr_object(const void *fam)
{
	const struct proc *pr = fam;

	return pr->skel->obj;
}

static int pr_poll(void *fam)
{
	struct proc *pr = fam;

	return family_ring__consume(pr->ring);
}

/* Crashes and OOM kills are never shed: nothing to turn off. */
static void pr_shed(void *fam, bool on)
{
	(void)fam;
	(void)on;
}

/* Sum over CPUs of one per-CPU u64 array element; 0 (counted) when it cannot be read. */
static uint64_t read_percpu_u64(struct proc *pr, struct bpf_map *map, uint32_t index)
{
	uint64_t sum;

	if (counters_read_percpu(bpf_map__fd(map), &index, pr->percpu, pr->ncpu, &sum))
		pr->read_errors++;
	return sum;
}

static void window_exits(struct proc *pr, struct record *rec)
{
	Hostmon__V1__MetricsWindow *m = &rec->ev.metrics;
	int fd = bpf_map__fd(pr->skel->maps.exit_counts);
	char key[TASK_COMM_LEN], next[TASK_COMM_LEN];
	void *cur = NULL;
	uint64_t count, delta;

	while (bpf_map_get_next_key(fd, cur, next) == 0) {
		memcpy(key, next, sizeof(key));
		cur = key;
		if (bpf_map_lookup_elem(fd, key, &count)) {
			pr->read_errors++;
			continue;
		}
		delta = counters__delta(pr->exits_prev, key, count);
		if (delta)
			record__count(rec, &m->exits_nonzero, &m->n_exits_nonzero,
				      &hostmon__v1__metrics_window__exits_nonzero_entry__descriptor,
				      record__text(rec, key, TASK_COMM_LEN), delta);
	}
}

static void window_counts(struct proc *pr, struct record *rec)
{
	Hostmon__V1__MetricsWindow *m = &rec->ev.metrics;
	Hostmon__V1__Crashes *c = record__msg(rec, &hostmon__v1__crashes__descriptor);
	uint64_t now, delta;

	for (uint32_t i = 0; i < PROC_COUNTS; i++) {
		now = read_percpu_u64(pr, pr->skel->maps.counts, i);
		delta = now - pr->counts_prev[i];
		pr->counts_prev[i] = now;
		if (i == PROC_COUNT_OOM) {
			m->oom_kills = delta;
		} else if (delta && c) {
			record__count(rec, &c->by_signal, &c->n_by_signal,
				      &hostmon__v1__crashes__by_signal_entry__descriptor,
				      names_signal((int)i), delta);
			c->total += delta;
		}
	}
	m->crashes = c;
}

struct by_exe_ctx {
	struct record *rec;
	Hostmon__V1__Crashes *c;
};

static void put_by_exe(void *ctx, const char *exe, uint64_t count)
{
	struct by_exe_ctx *x = ctx;

	record__count(x->rec, &x->c->by_exe, &x->c->n_by_exe,
		      &hostmon__v1__crashes__by_exe_entry__descriptor,
		      record__strdup(x->rec, exe), count);
}

/* The window's crash records by exe and the canary's (agent side: events, not kernel counts). */
static void window_crash_records(struct proc *pr, struct record *rec)
{
	struct by_exe_ctx x = { .rec = rec, .c = rec->ev.metrics.crashes };

	if (x.c) {
		crashtally__each(pr->crashes, put_by_exe, &x);
		x.c->canary = pr->canaries;
	}
	crashtally__reset(pr->crashes);
	pr->canaries = 0;
}

/* Fills the window's crashes, oom_kills and exits_nonzero into the metrics record, and its "proc" drops. */
static int pr_window(void *fam, struct record *rec)
{
	struct proc *pr = fam;
	Hostmon__V1__DropCounters *dc;
	uint64_t now;

	window_counts(pr, rec);
	window_crash_records(pr, rec);
	window_exits(pr, rec);
	dc = record__drops(rec, "proc");
	for (uint32_t i = 0; i < PROC_DROP_MAX; i++) {
		now = read_percpu_u64(pr, pr->skel->maps.drops, i);
		record__drop(rec, dc, drop_names[i], now - pr->drops_prev[i]);
		pr->drops_prev[i] = now;
	}
	record__drop(rec, dc, "map_read_errors", pr->read_errors + counters__errors(pr->exits_prev));
	return 0;
}

const struct family_ops proc_family = {
	.name = "proc",
	.enabled = pr_enabled,
	.open = pr_open,
	.free = pr_free,
	.epoll_fd = pr_epoll_fd,
	.events_fd = pr_events_fd,
	.poll = pr_poll,
	.window = pr_window,
	.shed = pr_shed,
	.shed_priority = 0,
	.object = pr_object,
	.set_workloads = pr_set_workloads,
};
