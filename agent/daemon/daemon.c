/* The event loop: ring buffers and the window timer on one epoll, signals checked around it. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include "core/clock.h"
#include "daemon/admin.h"
#include "probes/bpfmem.h"
#include "daemon/daemon.h"
#include "core/encode.h"
#include "record/evring.h"
#include "record/flow_window.h"
#include "record/hist.h"
#include "probes/exemap.h"
#include "probes/family.h"
#include "daemon/governor.h"
#include "probes/kfeatures.h"
#include "core/hostinfo.h"
#include "sinks/jsonl_sink.h"
#include "sinks/kafka_sink.h"
#include "daemon/lifecycle.h"
#include "sinks/spool.h"
#include "core/log.h"
#include "probes/net_family.h"
#include "record/pbjson.h"
#include "probes/pidcache.h"
#include "sinks/pipeline.h"
#include "daemon/privs.h"
#include "probes/proc_family.h"
#include "serve/snapshot.h"
#include "serve/statsock.h"
#include "probes/syscall_family.h"
#include "core/version.h"
#include "probes/workload.h"
#include "probes/workloads.h"

enum { SRC_SYSCALLS = 1, SRC_PROC, SRC_NET, SRC_TIMER, SRC_ADMIN, SRC_TICK };

struct daemon {
	struct config cfg;
	int argc;			/* the command line, read again by a reload */
	char **argv;
	struct hostinfo hi;
	struct kernel_features kf;
	bool kept_cap_bpf;		/* this kernel's bpf() wants it for map reads */
	struct jsonl_sink *jsonl;
	struct kafka_sink *kafka;	/* NULL without [kafka] brokers */
	struct spool *spool;		/* the Kafka sink's; NULL without it */
	struct pipeline *out;
	struct evring *events;		/* recent events, for the stats socket */
	struct snapshot_builder *snap;
	struct statsock *sock;
	struct syscalls *syscalls;
	struct proc *proc;
	struct net *net;
	struct lifecycle *life;
	struct governor *gov;		/* self-measurement and brownout */
	struct pidcache *procs;		/* process metadata for conn_error and slow_syscall */
	struct exemap *exe;		/* the kernel's exe paths, the families' and procs' */
	struct workload_cache *wl_names;	/* cgroup id -> workload name; NULL: ids only */
	struct workloads *workloads;	/* RED per workload; NULL: [workloads] off or no syscalls */
	bool rss_stuck;			/* over max_rss_mb with everything shed, reported */
	struct bpfmem bpf;		/* the kernel's figures for the maps, at the last window */
	uint64_t bpf_mapped;		/* resident bytes of the maps mapped into the agent */
	struct family_status sc_status;
	struct family_status proc_status;
	struct family_status net_status;
	int epfd;
	int timerfd;
	int tickfd;			/* every second: the governor's sample */
	sigset_t wait_mask;		/* the mask with SIGINT and SIGTERM unblocked */
	uint64_t window_start_wall;
	uint64_t window_start_mono;
	uint64_t lost_prev;		/* records the sinks lost, at the last window */
	uint64_t kafka_lost_prev;
	uint64_t kafka_published;	/* delivered + lost at the last progress publish */
	const char *kafka_state_published;	/* kafka_sink__state's (static) text then */
	struct spool_stats spool_prev;
	struct flow_counts flow_prev;	/* events in and out at the last window */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = sig;
}

/* Records not reaching Kafka (broker unreachable, records failing) degrade the agent as a failed probe does. */
static bool kafka_broken(const struct daemon *d)
{
	const char *state = d->kafka ? kafka_sink__state(d->kafka) : "connected";

	return !strcmp(state, "error") || !strcmp(state, "unreachable");
}

/* /health's details are JSON for the socket, not records. */
static void health_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static void health_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static struct json_object *family_json(const struct family_status *st)
{
	struct json_object *o = json_object_new_object();

	health_str(o, "state", family_state_name(st->state));
	if (st->state == FAMILY_FAILED)
		health_str(o, "error", st->error);
	if (st->path[0])
		health_str(o, "path", st->path);
	return o;
}

static void add_probes(const struct daemon *d, struct json_object *probes)
{
	json_object_object_add(probes, "syscalls", family_json(&d->sc_status));
	json_object_object_add(probes, "proc", family_json(&d->proc_status));
	json_object_object_add(probes, "net", family_json(&d->net_status));
}

/* The .proto's value of a lifecycle state (AGENT_STATE_* numbers them one up). */
static Hostmon__V1__AgentState proto_state(enum agent_state s)
{
	return s < AGENT_STATE_MAX ? (Hostmon__V1__AgentState)(s + 1) :
				     HOSTMON__V1__AGENT_STATE__AGENT_STATE_UNSPECIFIED;
}

static void add_probe(struct record *rec, const char *family, const struct family_status *st)
{
	Hostmon__V1__AgentStatus *m = &rec->ev.agent_status;
	Hostmon__V1__ProbeStatus *ps;

	ps = record__entry(rec, &m->probes, &m->n_probes,
			   &hostmon__v1__agent_status__probes_entry__descriptor, family);
	if (!ps)
		return;
	ps->state = (char *)family_state_name(st->state);
	if (st->state == FAMILY_FAILED)
		ps->error = (char *)st->error;
}

/* An agent_status record in the current state; from: the state left, or AGENT_STATE_MAX when unchanged. */
static void emit_status(struct daemon *d, enum agent_state from, const char *reason)
{
	struct record *rec;

	if (!d->out)
		return;
	rec = pipeline__record(d->out, FLOW_AGENT_STATUS);
	rec->ev.agent_status.state = proto_state(lifecycle__state(d->life));
	rec->ev.agent_status.previous_state = proto_state(from);
	rec->ev.agent_status.reason = (char *)reason;
	add_probe(rec, "syscalls", &d->sc_status);
	add_probe(rec, "proc", &d->proc_status);
	add_probe(rec, "net", &d->net_status);
	pipeline__send(d->out, rec);
	pipeline__flush(d->out);
}

/* /health's BPF memory: the kernel's figure for the agent's maps, by family, and the maps' pages mapped into the agent. */
static void add_bpf_memory(const struct daemon *d, struct json_object *details)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < d->bpf.n_fam; i++)
		health_u64(o, d->bpf.fam[i].name, d->bpf.fam[i].bytes);
	health_u64(details, "bpf_memory_bytes", d->bpf.total);
	json_object_object_add(details, "bpf_memory", o);
	health_u64(details, "bpf_mapped_bytes", d->bpf_mapped);
	if (d->bpf.errors)
		health_u64(details, "bpf_memory_unread_maps", d->bpf.errors);
}

/* The kernel's release and the BPF features the families chose their paths by. */
static struct json_object *kernel_json(const struct kernel_features *kf)
{
	struct json_object *o = json_object_new_object();

	health_str(o, "release", kf->release);
	json_object_object_add(o, "btf", json_object_new_boolean(kf->btf));
	json_object_object_add(o, "ringbuf", json_object_new_boolean(kf->ringbuf));
	json_object_object_add(o, "task_storage", json_object_new_boolean(kf->task_storage));
	json_object_object_add(o, "task_btf", json_object_new_boolean(kf->task_btf));
	return o;
}

static struct json_object *config_json(const struct config *cfg)
{
	struct json_object *o = json_object_new_object();

	health_u64(o, "interval_s", cfg->interval_s);
	health_str(o, "log_level", log_level_name(cfg->log_level));
	health_u64(o, "slow_threshold_us", cfg->slow_threshold_us);
	health_str(o, "socket", cfg->socket_path);
	return o;
}

/*
 * RED per workload: on or off, and how the names are found (the cgroup
 * path cache: file handles or walks of the cgroup2 tree, which run in the
 * event loop).
 */
static struct json_object *workloads_json(const struct daemon *d)
{
	struct json_object *o = json_object_new_object(), *names;
	struct workload_cache_stats st;

	json_object_object_add(o, "enabled", json_object_new_boolean(d->workloads != NULL));
	if (!d->workloads)
		return o;
	health_u64(o, "top", d->cfg.workloads_top);
	health_u64(o, "entries", d->cfg.workloads_entries);
	if (!d->wl_names)
		return o;
	workload_cache__stats(d->wl_names, &st);
	names = json_object_new_object();
	health_str(names, "by", st.handles ? "file handle" : "walk");
	health_u64(names, "entries", st.entries);
	health_u64(names, "capacity", st.capacity);
	health_u64(names, "hits", st.hits);
	health_u64(names, "misses", st.misses);
	health_u64(names, "walks", st.walks);
	health_u64(names, "walk_dirs", st.walk_dirs);
	health_u64(names, "walk_truncated", st.walk_truncated);
	health_u64(names, "by_pid", st.pid_paths);
	json_object_object_add(o, "names", names);
	return o;
}

/* Hands the stats socket a new snapshot: state and why, probe families, running config, windows. */
static void publish(struct daemon *d)
{
	struct json_object *details = json_object_new_object();
	struct json_object *probes = json_object_new_object();

	if (!d->sock) {
		json_object_put(details);
		json_object_put(probes);
		return;
	}
	health_str(details, "reason", lifecycle__cause(d->life));
	health_u64(details, "state_since_ns", lifecycle__since_ns(d->life));
	if (d->gov)
		health_str(details, "shed", shed_level_name(governor__level(d->gov)));
	add_probes(d, probes);
	json_object_object_add(details, "probes", probes);
	json_object_object_add(details, "kernel", kernel_json(&d->kf));
	json_object_object_add(details, "capabilities",
			       json_object_new_string(d->kept_cap_bpf ? "CAP_BPF" : "none"));
	add_bpf_memory(d, details);
	json_object_object_add(details, "workloads", workloads_json(d));
	json_object_object_add(details, "config", config_json(&d->cfg));
	if (d->kafka)
		json_object_object_add(details, "kafka", kafka_sink__report(d->kafka));
	snapshot_builder__health(d->snap, agent_state_name(lifecycle__state(d->life)), details);
	statsock__publish(d->sock, snapshot_builder__build(d->snap));
}

/* Every state change: logged by the lifecycle, announced here, and on the socket. */
static void on_state_change(void *ctx, enum agent_state from, enum agent_state to,
			    const char *cause)
{
	struct daemon *d = ctx;

	(void)to;
	emit_status(d, from, cause);
	publish(d);
}

/* "memory: rss R MiB over max_rss_mb M" and what follows it: the memory causes' one wording. */
static void memory_cause(const struct daemon *d, char *cause, size_t len, const char *tail)
{
	snprintf(cause, len, "memory: rss %.1f MiB over max_rss_mb %u%s",
		 governor__rss_kb(d->gov) / 1024.0, d->cfg.max_rss_mb, tail);
}

static void memory_stuck_cause(const struct daemon *d, char *cause, size_t len)
{
	char tail[64];

	snprintf(tail, sizeof(tail), " for %u s with every detail event shed",
		 (unsigned int)GOVERNOR_RSS_STUCK_S);
	memory_cause(d, cause, len, tail);
}

/* Running, or degraded naming the first probe family that failed, else a broken Kafka sink or memory. */
static void settle_state(struct daemon *d)
{
	const struct { const char *name; const struct family_status *st; } fams[] = {
		{ "syscalls", &d->sc_status }, { "proc", &d->proc_status }, { "net", &d->net_status },
	};
	char cause[320];

	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		if (fams[i].st->state != FAMILY_FAILED)
			continue;
		snprintf(cause, sizeof(cause), "probe family %s failed: %s", fams[i].name,
			 fams[i].st->error);
		lifecycle__to(d->life, AGENT_DEGRADED, cause);
		return;
	}
	if (kafka_broken(d)) {
		snprintf(cause, sizeof(cause), "kafka %s: %s", kafka_sink__state(d->kafka),
			 kafka_sink__last_error(d->kafka));
		lifecycle__to(d->life, AGENT_DEGRADED, cause);
		return;
	}
	if (d->rss_stuck) {
		memory_stuck_cause(d, cause, sizeof(cause));
		lifecycle__to(d->life, AGENT_DEGRADED, cause);
		return;
	}
	lifecycle__to(d->life, AGENT_RUNNING, "probes attached");
}

/*
 * The spool's drops since the last window into the window's agent counters
 * (evicted unsent, corrupt records skipped); an eviction is also announced in
 * an agent_status record, emitted before the window so seqs stay in order.
 */
static void spool_window(struct daemon *d, struct spool_stats *delta)
{
	struct spool_stats st;
	char reason[128];

	memset(delta, 0, sizeof(*delta));
	if (!d->spool)
		return;
	spool__stats(d->spool, &st);
	delta->evicted = st.evicted - d->spool_prev.evicted;
	delta->corrupt = st.corrupt - d->spool_prev.corrupt;
	d->spool_prev = st;
	if (!delta->evicted)
		return;
	snprintf(reason, sizeof(reason), "spool full: %llu records evicted unsent (%llu in all)",
		 (unsigned long long)delta->evicted, (unsigned long long)st.evicted);
	emit_status(d, AGENT_STATE_MAX, reason);
}

/*
 * The window's events in and out, in the self governor__window made.
 * Flushed first: every record before this one counts out in its window.
 */
static void flow_self(struct daemon *d, struct record *rec, Hostmon__V1__AgentSelf *self)
{
	struct flow_counts now;
	unsigned int sinks;

	pipeline__flush(d->out);
	sinks = pipeline__flow(d->out, &now);
	flow_window(&now, &d->flow_prev, sinks, rec, self);
}

/* The agent's own drop counters: lines and records the sinks lost, the spool's evictions. */
static void agent_drops(struct daemon *d, struct record *rec, const struct spool_stats *spool_delta)
{
	Hostmon__V1__DropCounters *dc = record__drops(rec, "agent");
	uint64_t lost = pipeline__lost(d->out);

	record__drop(rec, dc, "jsonl_lost", lost - d->lost_prev);
	d->lost_prev = lost;
	if (d->kafka) {
		lost = kafka_sink__lost(d->kafka);
		record__drop(rec, dc, "kafka_lost", lost - d->kafka_lost_prev);
		d->kafka_lost_prev = lost;
	}
	if (d->spool) {
		record__drop(rec, dc, "spool_evicted", spool_delta->evicted);
		record__drop(rec, dc, "spool_corrupt", spool_delta->corrupt);
	}
}

static void emit_window(struct daemon *d)
{
	struct spool_stats spool_delta;
	Hostmon__V1__MetricsWindow *m;
	struct json_object *window;
	struct record *rec;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	spool_window(d, &spool_delta);
	rec = pipeline__record(d->out, FLOW_METRICS);
	m = &rec->ev.metrics;
	m->window_start_ns = d->window_start_wall;
	m->window_ns = now - d->window_start_mono;
	m->state = proto_state(lifecycle__state(d->life));
	if (d->syscalls) {
		m->n_bucket_le_ns = HIST_LE_COUNT;
		m->bucket_le_ns = (uint64_t *)hist_le_ns;
		syscalls__window(d->syscalls, rec);
	}
	if (d->workloads)
		(void)workloads__window(d->workloads, rec);
	if (d->proc)
		proc__window(d->proc, rec);
	if (d->net)
		net__window(d->net, rec);
	flow_self(d, rec, governor__window(d->gov, rec));
	agent_drops(d, rec, &spool_delta);
	if (d->kafka && (m->kafka = record__msg(rec, &hostmon__v1__kafka_sink__descriptor))) {
		kafka_sink__fill(d->kafka, m->kafka);
		kafka_sink__window(d->kafka, rec, m->kafka);
	}
	d->window_start_mono = now;
	d->window_start_wall = clock_ns(CLOCK_REALTIME);
	/* The socket serves the window as JSON lines show it (read once per window, off the record path). */
	window = pbjson_object(&rec->env.base, PBJSON_LINES);
	if (window)
		snapshot_builder__window(d->snap, window);
	json_object_put(window);
	pipeline__send(d->out, rec);
	pipeline__flush(d->out);
}

static int epoll_add(int epfd, int fd, uint32_t src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = src };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int set_timer(struct daemon *d)
{
	struct itimerspec its = {
		.it_interval = { .tv_sec = d->cfg.interval_s },
		.it_value = { .tv_sec = d->cfg.interval_s },
	};

	return timerfd_settime(d->timerfd, 0, &its, NULL) ? -errno : 0;
}

/*
 * /health's kafka figures between windows: republished at the second when
 * the broker acknowledged or lost records or the sink's state changed
 * (hostmonctl selftest waits on them).
 */
static void publish_kafka_progress(struct daemon *d)
{
	const char *state;
	uint64_t done;

	if (!d->kafka)
		return;
	done = kafka_sink__delivered(d->kafka) + kafka_sink__lost(d->kafka);
	state = kafka_sink__state(d->kafka);
	if (done == d->kafka_published && state == d->kafka_state_published)
		return;
	d->kafka_published = done;
	d->kafka_state_published = state;
	publish(d);
}

/*
 * Over max_rss_mb: on crossing it, the agent gives back what it can
 * (announced); staying over it with everything shed degrades the agent, loudly,
 * until RSS is back within the bound. The host is never harmed for it.
 */
static void watch_memory(struct daemon *d)
{
	char what[200], tail[220], reason[400];
	bool stuck = governor__rss_stuck(d->gov);

	if (governor__rss_crossed(d->gov)) {
		governor__shrink(d->gov, what, sizeof(what));
		snprintf(tail, sizeof(tail), ": shrunk: %s", what);
		memory_cause(d, reason, sizeof(reason), tail);
		log_warn("hostmond", HM_E_MEMORY_OVER, LOG_FIELDS(LF_INT("max_rss_mb", d->cfg.max_rss_mb)),
			 "%s", reason);
		emit_status(d, AGENT_STATE_MAX, reason);
	}
	if (stuck == d->rss_stuck)
		return;
	d->rss_stuck = stuck;
	if (stuck) {
		memory_stuck_cause(d, reason, sizeof(reason));
		log_error("hostmond", HM_E_MEMORY_STUCK,
			  LOG_FIELDS(LF_INT("max_rss_mb", d->cfg.max_rss_mb)),
			  "%s: raise max_rss_mb or find what grows (docs/runbooks/brownout.md)", reason);
	}
	settle_state(d);
	publish(d);
}

/*
 * The governor's second: a change of shed level goes to the BPF programs at
 * once (slow_syscall events first, then conn_error; crashes never), and is
 * logged and announced in an agent_status record.
 */
static void on_tick(struct daemon *d)
{
	uint64_t expirations;
	enum shed_level level;
	char why[200], reason[300];
	int change;

	if (read(d->tickfd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	log_flush_repeats(0);
	change = governor__sample(d->gov, why, sizeof(why));
	watch_memory(d);
	if (!change) {
		publish_kafka_progress(d);
		return;
	}
	level = governor__level(d->gov);
	if (d->syscalls)
		syscalls__shed(d->syscalls, level >= SHED_SLOW_SYSCALLS);
	if (d->net)
		net__shed(d->net, level >= SHED_CONN_ERRORS);
	if (level == SHED_NONE)
		snprintf(reason, sizeof(reason), "brownout over: all detail events sent again (%s)", why);
	else
		snprintf(reason, sizeof(reason), "brownout: %s %s events shed, counts kept (%s)",
			 change > 0 ? "overloaded," : "calmer, only", shed_level_name(level), why);
	if (change > 0)
		log_warn("hostmond", HM_E_BROWNOUT, NULL, "%s", reason);
	else
		log_info("hostmond", "%s", reason);
	emit_status(d, AGENT_STATE_MAX, reason);
	publish(d);
}

static int start_tick(struct daemon *d)
{
	struct itimerspec its = { .it_interval = { .tv_sec = 1 }, .it_value = { .tv_sec = 1 } };

	d->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->tickfd < 0 || timerfd_settime(d->tickfd, 0, &its, NULL))
		return -errno;
	return epoll_add(d->epfd, d->tickfd, SRC_TICK);
}

static int start_timer(struct daemon *d)
{
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->timerfd < 0 || set_timer(d))
		return -errno;
	d->window_start_mono = clock_ns(CLOCK_MONOTONIC);
	d->window_start_wall = clock_ns(CLOCK_REALTIME);
	return epoll_add(d->epfd, d->timerfd, SRC_TIMER);
}

/*
 * The exe map the families fill and the pid cache reads: /proc/PID/exe is
 * closed to the agent once its capabilities are gone. Without it, exe
 * comes from /proc alone.
 */
static void open_exe_map(struct daemon *d)
{
	int err;

	if (!d->cfg.syscalls_enabled && !d->cfg.net_enabled)
		return;
	d->exe = exemap__new(d->cfg.pid_cache_size);
	if (!d->exe) {
		err = errno;
		log_error("hostmond", HM_E_EXE_MAP, LOG_FIELDS(LF_ERRNO(err)),
			  "cannot create the exe map (%u entries): exe from /proc only: %s",
			  d->cfg.pid_cache_size, strerror(err));
		return;
	}
	pidcache__set_exe_source(d->procs, exemap__lookup, d->exe);
}

/*
 * What this kernel offers, logged; false when no family can run on it, each
 * enabled one then failed with the reason.
 */
static bool probe_kernel(struct daemon *d)
{
	struct family_status *all[] = { &d->sc_status, &d->proc_status, &d->net_status };
	const bool on[] = { d->cfg.syscalls_enabled, d->cfg.proc_enabled, d->cfg.net_enabled };
	const char *missing;
	char desc[128];

	features_probe(&d->kf);
	features_describe(&d->kf, desc, sizeof(desc));
	log_info("hostmond", "kernel %s: %s", d->kf.release, desc);
	missing = features_missing(&d->kf);
	if (!missing[0])
		return true;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!on[i])
			continue;
		all[i]->state = FAMILY_FAILED;
		snprintf(all[i]->error, sizeof(all[i]->error), "%s", missing);
	}
	log_error("hostmond", HM_E_PROBE_FAILED, LOG_FIELDS(LF_STR("kernel", d->kf.release)),
		  "no probe family can run on this kernel: %s", missing);
	return false;
}

/* A family's start in the log: the path it took, or why it failed. */
static void log_family(const char *name, bool opened, const struct family_status *st)
{
	if (!opened)
		log_error(name, HM_E_PROBE_FAILED, LOG_FIELDS(LF_STR("probe", name)),
			  "probe family failed, running without it: %s", st->error);
	else if (st->path[0])
		log_info(name, "attached: %s", st->path);
}

/*
 * Who names socket owners at connect() and accept(): the syscall family's
 * sys_exit when it runs, else the net family's own syscalls: tracepoints
 * (whose failure fails the net family).
 */
static void settle_net_exits(struct daemon *d)
{
	const char *why = d->syscalls ? NULL :
			  d->cfg.syscalls_enabled ? "syscall family failed" : "syscall family off";

	bool ok;

	if (!d->net)
		return;
	ok = !net__exits(d->net, why, &d->net_status);
	log_family("net", ok, &d->net_status);
	if (ok)
		return;
	net__free(d->net);
	d->net = NULL;
}

/*
 * RED per workload, from the syscall family's per-cgroup maps (and net's and
 * proc's counts): without a cgroup2 mount to name them, workloads go by id.
 */
static void open_workloads(struct daemon *d)
{
	int stats_fd, errnos_fd;

	if (!d->cfg.workloads_enabled || !d->syscalls)
		return;
	d->wl_names = workload_cache__new(NULL, "/proc", 0);
	if (!d->wl_names)
		log_warn("workloads", HM_W_WORKLOAD_NAMES, LOG_FIELDS(LF_ERRNO(errno)),
			 "cannot name workloads (no cgroup2 mount?): %s; they go by cgroup id",
			 strerror(errno));
	d->workloads = workloads__new(d->cfg.workloads_top, d->cfg.workloads_idle_windows,
				      d->wl_names);
	if (!d->workloads) {
		log_error("workloads", HM_E_WORKLOADS, LOG_FIELDS(LF_ERRNO(errno)),
			  "cannot count per workload: %s", strerror(errno));
		return;
	}
	syscalls__workload_fds(d->syscalls, &stats_fd, &errnos_fd);
	workloads__set_syscalls(d->workloads, stats_fd, errnos_fd);
	if (d->net)
		workloads__set_net(d->workloads, net__cg_failures_fd(d->net));
	if (d->proc)
		proc__set_workloads(d->proc, d->workloads);
}

/* net before syscalls: the syscall family's object takes over the net maps it writes. */
static void open_families(struct daemon *d)
{
	const struct config *cfg = &d->cfg;

	if (!probe_kernel(d))
		return;
	open_exe_map(d);
	if (cfg->net_enabled) {
		d->net = net__open(cfg, d->out, d->exe, &d->net_status);
		if (!d->net)
			log_family("net", false, &d->net_status);
	}
	if (cfg->syscalls_enabled) {
		d->syscalls = syscalls__open(cfg, &d->kf, d->out, d->exe, d->net, &d->sc_status);
		log_family("syscalls", d->syscalls, &d->sc_status);
	}
	settle_net_exits(d);
	if (cfg->proc_enabled) {
		d->proc = proc__open(cfg, d->out, d->exe, &d->proc_status);
		log_family("proc", d->proc, &d->proc_status);
	}
	if (d->syscalls)
		syscalls__set_pidcache(d->syscalls, d->procs);
	if (d->net)
		net__set_pidcache(d->net, d->procs);
	open_workloads(d);
}

/* Brownout at max_cpu_percent, max_rss_mb or a ring buffer half full; calm means under half of
 * the first and the last, within the memory bound, for 10 s. */
static int open_governor(struct daemon *d)
{
	const struct brownout_cfg bc = {
		.cpu_budget_pct = d->cfg.max_cpu_percent, .fill_high = 0.5, .fill_low = 0.1,
		.hold_s = 3, .recover_s = 10, .recover_max_s = 300, .relapse_s = 60,
		.rss_max_kb = (uint64_t)d->cfg.max_rss_mb * 1024, .rss_stuck_s = GOVERNOR_RSS_STUCK_S,
	};
	int ret = 0;

	d->gov = governor__new(&bc);
	if (!d->gov)
		return -ENOMEM;
	governor__set_pidcache(d->gov, d->procs);
	if (d->syscalls)
		ret = governor__watch(d->gov, syscalls__events_fd(d->syscalls));
	if (!ret && d->proc)
		ret = governor__watch(d->gov, proc__events_fd(d->proc));
	if (!ret && d->net)
		ret = governor__watch(d->gov, net__events_fd(d->net));
	if (ret)
		log_error("hostmond", HM_E_RING_WATCH, LOG_FIELDS(LF_ERRNO(-ret)),
			  "cannot watch the ring buffers' fill: %s", strerror(-ret));
	return ret;
}

/*
 * The kernel's figures for the agent's maps (the shared exe map first, so it
 * counts as "exe" and once), and how much of the agent's RSS is their pages
 * mapped in: kernel memory the maps' figure has, which the memory bound
 * leaves out (a 64 MiB ring buffer alone maps 128 MiB).
 */
static void measure_bpf(struct daemon *d)
{
	FILE *f;

	bpfmem_reset(&d->bpf);
	if (d->exe)
		(void)bpfmem_add_fd(&d->bpf, "exe", exemap__fd(d->exe));
	/* net first: the syscall family's object holds net's maps too, counted once, as net's. */
	if (d->net)
		(void)bpfmem_add_object(&d->bpf, "net", net__object(d->net));
	if (d->syscalls)
		(void)bpfmem_add_object(&d->bpf, "syscalls", syscalls__object(d->syscalls));
	if (d->proc)
		(void)bpfmem_add_object(&d->bpf, "proc", proc__object(d->proc));
	f = fopen("/proc/self/smaps", "re");
	d->bpf_mapped = f ? bpfmem_mapped_bytes(f) : 0;
	if (f)
		(void)fclose(f); /* read only */
	governor__set_mapped_kb(d->gov, d->bpf_mapped / 1024);
}

/* Segments of 1/16 of the spool, at most 16 MiB: eviction frees little at a time. */
static uint64_t spool_segment_bytes(const struct config *cfg)
{
	uint64_t seg = cfg->spool_max_bytes / 16;

	return seg > (16u << 20) ? (16u << 20) : seg;
}

/*
 * The Kafka sink when [kafka] brokers is set, with its spool in spool_dir
 * (records spooled by an earlier run are sent first); its envelopes carry a
 * fresh instance id.
 */
static int open_kafka(struct daemon *d)
{
	struct envelope_ids ids = { .agent_version = HOSTMON_VERSION };
	char instance[37], err[512];
	int ret;

	if (!d->cfg.kafka_brokers[0])
		return 0;
	ret = envelope_instance_id(instance);
	if (ret) {
		log_error("kafka", HM_E_INSTANCE_ID, LOG_FIELDS(LF_ERRNO(-ret)),
			  "cannot make an instance id: %s", strerror(-ret));
		return ret;
	}
	ids.instance_id = instance;
	d->spool = spool__open(d->cfg.spool_dir, d->cfg.spool_max_bytes, spool_segment_bytes(&d->cfg));
	/* A disk that fails must not stop the agent: Kafka without the safety net. */
	if (!d->spool)
		log_error("kafka", HM_E_SPOOL_OPEN,
			  LOG_FIELDS(LF_STR("path", d->cfg.spool_dir), LF_ERRNO(errno)),
			  "cannot open the spool in %s: %s: records not delivered will be "
			  "lost (counted)", d->cfg.spool_dir, strerror(errno));
	/* Corrupt records found at open are counted in the first window. */
	d->kafka = kafka_sink__new(d->cfg.kafka_brokers, d->cfg.kafka_topic, d->hi.host_id, &ids,
				   d->spool, &d->cfg.kafka, err, sizeof(err));
	if (!d->kafka) {
		ret = -errno;
		log_error("kafka", HM_E_KAFKA_PRODUCER, LOG_FIELDS(LF_STR("brokers", d->cfg.kafka_brokers)),
			  "producer for %s: %s", d->cfg.kafka_brokers, err);
		return ret;
	}
	pipeline__set_kafka(d->out, d->kafka);
	log_info("kafka", "sending to topic %s on %s as instance %s", d->cfg.kafka_topic,
		 d->cfg.kafka_brokers, instance);
	return 0;
}

static int open_outputs(struct daemon *d)
{
	char err[256];
	int ret;

	ret = hostinfo_read(&d->hi, d->cfg.host_id, err, sizeof(err));
	if (ret) {
		log_error("hostmond", HM_E_HOST_IDENTITY, NULL, "host identity: %s", err);
		return ret;
	}
	d->jsonl = jsonl_sink__new(d->cfg.output);
	if (!d->jsonl) {
		ret = -errno;
		log_error("jsonl", HM_E_JSONL_OPEN, LOG_FIELDS(LF_STR("path", d->cfg.output), LF_ERRNO(-ret)),
			  "cannot open output %s: %s", d->cfg.output, strerror(-ret));
		return ret;
	}
	d->out = pipeline__new(&d->hi);
	d->events = evring__new(EVRING_CAPACITY);
	d->snap = snapshot_builder__new();
	d->procs = pidcache__new(d->cfg.pid_cache_size, "/proc");
	if (!d->out || !d->events || !d->snap || !d->procs)
		return -ENOMEM;
	pipeline__set_jsonl(d->out, d->jsonl);
	pipeline__set_events(d->out, d->events);
	return 0;
}

/* A map of a family that runs, to ask the kernel what reading maps takes; -1: none. */
static int some_map_fd(const struct daemon *d)
{
	if (d->syscalls)
		return syscalls__events_fd(d->syscalls);
	if (d->proc)
		return proc__events_fd(d->proc);
	return d->net ? net__events_fd(d->net) : -1;
}

/*
 * What the agent needs after attach is open already: ring buffers and maps
 * (their descriptors), the output, the spool directory (root's own, by owner
 * permissions). Every capability goes (README, "Privileges"), but CAP_BPF on
 * a kernel that checks it for every bpf() command: without it no window
 * could read the maps there.
 */
static int drop_privileges(struct daemon *d)
{
	int fd = some_map_fd(d), need = fd < 0 ? 0 : privs_bpf_needs_cap(fd);
	char err[256];
	bool bounds;
	int ret;

	if (need < 0)
		log_warn("hostmond", HM_E_PRIVS_DROP, LOG_FIELDS(LF_ERRNO(-need)),
			 "cannot tell whether reading BPF maps needs CAP_BPF here, keeping it: %s",
			 strerror(-need));
	d->kept_cap_bpf = need != 0;
	ret = privs_drop(d->kept_cap_bpf, &bounds, err, sizeof(err));
	if (ret) {
		log_error("hostmond", HM_E_PRIVS_DROP, NULL, "cannot drop privileges, not running with more than needed: %s",
			  err);
		return ret;
	}
	log_info("hostmond", "privileges dropped: %s, no_new_privs set%s",
		 d->kept_cap_bpf ? "all but CAP_BPF (this kernel's bpf() checks it to read maps)" :
				   "no capabilities left",
		 bounds ? "" : " (bounding set left as the service manager set it: no CAP_SETPCAP)");
	return 0;
}

/* The HTTP server's threads start here: after privileges are dropped. */
static int open_socket(struct daemon *d)
{
	char err[256];
	int ret;

	d->sock = statsock__new(d->cfg.socket_path, d->cfg.metrics_listen, d->events, err,
				sizeof(err));
	if (!d->sock) {
		ret = -errno;
		log_error("statsock", HM_E_STATSOCK, LOG_FIELDS(LF_STR("path", d->cfg.socket_path)), "%s", err);
		return ret;
	}
	publish(d);
	return 0;
}

static int add_sources(struct daemon *d)
{
	int ret = 0;

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -errno;
	if (d->syscalls)
		ret = epoll_add(d->epfd, syscalls__epoll_fd(d->syscalls), SRC_SYSCALLS);
	if (!ret && d->proc)
		ret = epoll_add(d->epfd, proc__epoll_fd(d->proc), SRC_PROC);
	if (!ret && d->net)
		ret = epoll_add(d->epfd, net__epoll_fd(d->net), SRC_NET);
	if (!ret)
		ret = epoll_add(d->epfd, statsock__admin_fd(d->sock), SRC_ADMIN);
	if (!ret)
		ret = start_timer(d);
	if (!ret)
		ret = start_tick(d);
	return ret;
}

/* Blocks SIGINT/SIGTERM except inside epoll_pwait, so a stop is never missed. */
static int install_signals(sigset_t *wait_mask)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, wait_mask) || sigaction(SIGINT, &sa, NULL) ||
	    sigaction(SIGTERM, &sa, NULL))
		return -errno;
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGTERM);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -errno;
	return 0;
}

struct daemon *daemon__new(const struct config *cfg, int argc, char **argv)
{
	struct daemon *d = calloc(1, sizeof(*d));
	int ret = -ENOMEM;

	if (!d)
		goto fail;
	d->cfg = *cfg;
	d->argc = argc;
	d->argv = argv;
	d->epfd = d->timerfd = d->tickfd = -1;
	d->life = lifecycle__new(on_state_change, d);
	if (!d->life)
		goto fail;
	/* Before the slow part (loading probes), so a stop request then is kept, not lost. */
	ret = install_signals(&d->wait_mask);
	if (!ret)
		ret = open_outputs(d);
	if (ret)
		goto fail;
	open_families(d);
	if ((cfg->syscalls_enabled || cfg->proc_enabled || cfg->net_enabled) && !d->syscalls &&
	    !d->proc && !d->net) {
		log_error("hostmond", HM_E_NO_PROBES, NULL,
			  "no probe family could be loaded; is this root on a kernel with BTF?");
		ret = -ENOTSUP;
		goto fail;
	}
	ret = open_governor(d);
	if (ret)
		goto fail;
	measure_bpf(d);
	/* No thread exists yet: librdkafka's and the HTTP server's inherit nothing. */
	ret = drop_privileges(d);
	if (!ret)
		ret = open_kafka(d);
	if (!ret)
		ret = open_socket(d);
	if (ret)
		goto fail;
	ret = add_sources(d);
	if (ret) {
		log_error("hostmond", HM_E_EVENT_LOOP, LOG_FIELDS(LF_ERRNO(-ret)),
			  "event loop setup failed: %s", strerror(-ret));
		goto fail;
	}
	return d;
fail:
	if (d && d->life) {
		char cause[160];

		snprintf(cause, sizeof(cause), "start failed: %s", strerror(-ret));
		lifecycle__to(d->life, AGENT_STOPPED, cause);
	}
	daemon__free(d);
	errno = -ret;
	return NULL;
}

void daemon__free(struct daemon *d)
{
	if (!d)
		return;
	/* Destroying the skeletons detaches the probes. */
	syscalls__free(d->syscalls);
	proc__free(d->proc);
	net__free(d->net);
	workloads__free(d->workloads);
	workload_cache__free(d->wl_names);
	if (d->timerfd >= 0)
		close(d->timerfd);
	if (d->tickfd >= 0)
		close(d->tickfd);
	if (d->epfd >= 0)
		close(d->epfd);
	statsock__free(d->sock);
	snapshot_builder__free(d->snap);
	/* The last records (final window, "stopped") get 10 s to reach the broker. */
	kafka_sink__close(d->kafka, 10000);
	kafka_sink__free(d->kafka);
	spool__free(d->spool);
	pipeline__free(d->out);
	evring__free(d->events);
	jsonl_sink__free(d->jsonl);
	lifecycle__free(d->life);
	governor__free(d->gov);
	pidcache__free(d->procs);
	exemap__free(d->exe);
	free(d);
}

/* A family's batch read: failures logged; true when it had more waiting. */
static bool batch_read(const char *family, int ret)
{
	if (ret < 0)
		log_error(family, HM_E_RING_READ, LOG_FIELDS(LF_STR("probe", family), LF_ERRNO(-ret)),
			  "ring buffer read failed: %s", strerror(-ret));
	return ret == FAMILY_RING_BATCH;
}

/* Reads a batch from each ring buffer; true when some had more waiting. */
static bool drain(struct daemon *d)
{
	bool more = false;

	governor__note_fill(d->gov);
	pipeline__begin(d->out);
	if (d->syscalls)
		more |= batch_read("syscalls", syscalls__poll(d->syscalls));
	if (d->proc)
		more |= batch_read("proc", proc__poll(d->proc));
	if (d->net)
		more |= batch_read("net", net__poll(d->net));
	return more;
}

static void on_timer(struct daemon *d)
{
	uint64_t expirations;

	if (read(d->timerfd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	drain(d);
	measure_bpf(d);
	emit_window(d);
	settle_state(d);
	publish(d);
}

/* An admin request from the stats socket, applied here where the state lives. */
static void on_admin(struct daemon *d)
{
	unsigned int old_interval = d->cfg.interval_s, status;
	struct statsock_admin req;
	struct json_object *body;

	if (!statsock__admin_take(d->sock, &req))
		return;
	if (req.op == STATSOCK_ADMIN_LOG_LEVEL)
		status = admin_log_level(&d->cfg, req.level, &body);
	else
		status = admin_reload(&d->cfg, d->argc, d->argv, &body);
	if (d->cfg.interval_s != old_interval && set_timer(d))
		log_error("hostmond", HM_E_EVENT_LOOP, LOG_FIELDS(LF_ERRNO(errno)),
			  "cannot change the window timer: %s", strerror(errno));
	statsock__admin_answer(d->sock, status, encode_line(body));
	json_object_put(body);
	publish(d);
}

/*
 * How long the loop may sleep: detail events wake it only once enough bytes
 * wait (BPF wakeup_bytes), so it drains every ring_flush_ms regardless; at
 * once when the last drain left a batch; sooner for spooled Kafka records.
 */
static int loop_wait_ms(const struct daemon *d, bool more)
{
	int kafka = kafka_sink__wait_ms(d->kafka), flush = (int)d->cfg.ring_flush_ms;

	if (more)
		return 0;
	if (!flush)
		return kafka;
	return kafka >= 0 && kafka < flush ? kafka : flush;
}

int daemon__run(struct daemon *d)
{
	struct epoll_event evs[8];
	char cause[160] = "event loop error";
	bool more = false;
	int n, ret = 0;

	settle_state(d);
	log_info("hostmond", "running (%s), window %us, output %s",
		 lifecycle__state(d->life) == AGENT_DEGRADED ? "degraded" : "all probes attached",
		 d->cfg.interval_s, d->cfg.output);
	while (!stop_requested) {
		n = epoll_pwait(d->epfd, evs, 8, loop_wait_ms(d, more), &d->wait_mask);
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			log_error("hostmond", HM_E_EVENT_LOOP, LOG_FIELDS(LF_ERRNO(-ret)),
				  "epoll_wait failed: %s", strerror(-ret));
			snprintf(cause, sizeof(cause), "event loop error: epoll_wait: %s", strerror(-ret));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == SRC_TIMER)
				on_timer(d);
			else if (evs[i].data.u32 == SRC_ADMIN)
				on_admin(d);
			else if (evs[i].data.u32 == SRC_TICK)
				on_tick(d);
		}
		if (n > 0 || d->cfg.ring_flush_ms)
			more = drain(d);
		/* Also on a timeout: spooled records waiting for room in the Kafka queue. */
		pipeline__flush(d->out);
	}
	if (stop_requested)
		snprintf(cause, sizeof(cause), "signal %s",
			 stop_requested == SIGINT ? "SIGINT" : "SIGTERM");
	log_info("hostmond", "stopping: draining events and closing the last window");
	lifecycle__to(d->life, AGENT_DRAINING, cause);
	/* What the ring buffers hold now, in batches; bounded, should a storm go on. */
	for (int i = 0; i < 64 && drain(d); i++)
		;
	emit_window(d);
	lifecycle__to(d->life, AGENT_STOPPED, cause);
	return ret;
}
