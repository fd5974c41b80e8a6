/* Prometheus exposition of hostmon: what is summed since start, and how each family is written. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "serve/exposition.h"
#include "serve/prom.h"
#include "record/hist.h"
#include "core/version.h"

#define NS_PER_S	1000000000ULL
/*
 * Series labelled by data (crashing exes, remote endpoints) kept since start:
 * at most this many each, the least recently active dropped first.
 */
#define RECENT_EXES		256
#define RECENT_ENDPOINTS	1024
/* Workloads (the windows' top ones) kept the same way; each one's busiest syscalls. */
#define RECENT_WORKLOADS	64
#define RECENT_WORKLOAD_SYSCALLS	16

/* Window fields that are not additive: never summed into the totals. */
static const char *const not_additive[] = {
	"syscall", "nr", "p50_ns", "p95_ns", "p99_ns", "max_ns", NULL,
};
/* Top-level parts of a metrics record that have totals. */
static const char *const totalled[] = { "crashes", "oom_kills", "drops", NULL };
/* Parts of its "self" object that have totals, and the gauges within them. */
static const char *const self_totalled[] = {
	"events_in", "events_out", "pid_cache", "memory_shrinks", NULL,
};
static const char *const self_gauges[] = { "entries", "capacity", NULL };

static bool listed(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (!strcmp(*list, key))
			return true;
	return false;
}

static void add_array(struct json_object *dst, struct json_object *src)
{
	size_t n = json_object_array_length(src);

	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(dst, i);
		uint64_t v = json_object_get_uint64(json_object_array_get_idx(src, i));

		if (d)
			json_object_set_uint64(d, json_object_get_uint64(d) + v);
		else
			json_object_array_add(dst, json_object_new_uint64(v));
	}
}

/* dst += src for every integer, object and integer array of src not in skip. */
static void add_tree(struct json_object *dst, struct json_object *src, const char *const *skip)
{
	struct json_object *d;
	enum json_type t;

	json_object_object_foreach(src, key, val) {
		t = json_object_get_type(val);
		if (listed(skip, key) || (t != json_type_int && t != json_type_object &&
					  t != json_type_array))
			continue;
		if (!json_object_object_get_ex(dst, key, &d)) {
			d = t == json_type_int ? json_object_new_uint64(0) :
			    t == json_type_array ? json_object_new_array() : json_object_new_object();
			json_object_object_add(dst, key, d);
		}
		if (t == json_type_int)
			json_object_set_uint64(d, json_object_get_uint64(d) + json_object_get_uint64(val));
		else if (t == json_type_array)
			add_array(d, val);
		else
			add_tree(d, val, skip);
	}
}

/* Returns obj[key], created as an empty object if missing. */
static struct json_object *child(struct json_object *obj, const char *key)
{
	struct json_object *c;

	if (!json_object_object_get_ex(obj, key, &c)) {
		c = json_object_new_object();
		json_object_object_add(obj, key, c);
	}
	return c;
}

/* totals[key] += part[key] for each of keys that part has, but the keys in skip. */
static void add_parts(struct json_object *totals, struct json_object *part,
		      const char *const *keys, const char *const *skip)
{
	struct json_object *v;

	for (; *keys; keys++) {
		struct json_object *wrap = json_object_new_object();

		if (json_object_object_get_ex(part, *keys, &v)) {
			json_object_object_add(wrap, *keys, json_object_get(v));
			add_tree(totals, wrap, skip);
		}
		json_object_put(wrap);
	}
}

/*
 * map[key] += delta (an integer, or an object summed by add_tree but for skip), key moved
 * to the end (json-c keeps insertion order), then the oldest keys dropped
 * while map holds more than max. Returns map[key].
 */
static struct json_object *add_recent(struct json_object *map, const char *key,
				      struct json_object *delta, const char *const *skip, size_t max)
{
	struct json_object *cur = NULL, *next;

	if (json_object_object_get_ex(map, key, &cur))
		cur = json_object_get(cur);
	json_object_object_del(map, key);
	if (json_object_is_type(delta, json_type_int)) {
		next = json_object_new_uint64((cur ? json_object_get_uint64(cur) : 0) +
					      json_object_get_uint64(delta));
		json_object_put(cur);
	} else {
		next = cur ? cur : json_object_new_object();
		add_tree(next, delta, skip);
	}
	json_object_object_add(map, key, next);
	while ((size_t)json_object_object_length(map) > max) {
		json_object_object_foreach(map, oldest, v) {
			(void)v;
			json_object_object_del(map, oldest);
			break;
		}
	}
	return next;
}

static uint64_t get_u64(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_uint64(v) : 0;
}

/* obj[key] as text; "" when missing or null. */
static const char *get_str(struct json_object *obj, const char *key)
{
	struct json_object *v;
	const char *s = json_object_object_get_ex(obj, key, &v) ? json_object_get_string(v) : NULL;

	return s ? s : "";
}

/* The window's crash records by exe (canaries apart), into totals.exe_crashes. */
static void accumulate_exes(struct json_object *totals, struct json_object *window)
{
	struct json_object *crashes, *by_exe;

	if (!json_object_object_get_ex(window, "crashes", &crashes) ||
	    !json_object_object_get_ex(crashes, "by_exe", &by_exe))
		return;
	json_object_object_foreach(by_exe, exe, n)
		add_recent(child(totals, "exe_crashes"), exe, n, NULL, RECENT_EXES);
}

/* The window's listed endpoints, into totals.endpoints keyed by protocol, direction and endpoint. */
static void accumulate_endpoints(struct json_object *totals, struct json_object *window)
{
	static const char *const labels[] = { "endpoint", "protocol", "direction" };
	static const char *const not_counts[] = {
		"port", "connect_p50_ns", "connect_p95_ns", "connect_p99_ns", NULL,
	};
	struct json_object *conns, *rows, *row, *sum;
	char key[160];

	if (!json_object_object_get_ex(window, "connections", &conns) ||
	    !json_object_object_get_ex(conns, "endpoints", &rows))
		return;
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		row = json_object_array_get_idx(rows, i);
		snprintf(key, sizeof(key), "%s %s %s", get_str(row, "protocol"),
			 get_str(row, "direction"), get_str(row, "endpoint"));
		sum = add_recent(child(totals, "endpoints"), key, row, not_counts,
				 RECENT_ENDPOINTS);
		for (size_t l = 0; l < sizeof(labels) / sizeof(labels[0]); l++)
			json_object_object_add(sum, labels[l],
					       json_object_new_string(get_str(row, labels[l])));
	}
}

/* Drops the syscalls with the fewest calls from by_syscall until it holds at most max. */
static void keep_busiest(struct json_object *by_syscall, size_t max)
{
	while ((size_t)json_object_object_length(by_syscall) > max) {
		const char *least = NULL;
		uint64_t min = UINT64_MAX;

		json_object_object_foreach(by_syscall, sc, row) {
			if (get_u64(row, "calls") < min) {
				min = get_u64(row, "calls");
				least = sc;
			}
		}
		json_object_object_del(by_syscall, least);
	}
}

/* A workload's labels, copied from its latest window onto its totals. */
static void workload_labels(struct json_object *sum, struct json_object *w)
{
	static const char *const labels[] = { "name", "container_id", "pod_uid" };

	for (size_t l = 0; l < sizeof(labels) / sizeof(labels[0]); l++)
		json_object_object_add(sum, labels[l], json_object_new_string(get_str(w, labels[l])));
}

/*
 * The window's top workloads, into totals.workloads keyed by cgroup id: their
 * counts, and their syscalls' calls and errors (at most
 * RECENT_WORKLOAD_SYSCALLS each, the least recently active dropped first).
 */
static void accumulate_workloads(struct json_object *totals, struct json_object *window)
{
	static const char *const not_counts[] = { "cgroup_id", "syscalls", NULL };
	static const char *const sc_not_counts[] = { "nr", "p50_ns", "p95_ns", "p99_ns", NULL };
	struct json_object *wl, *top, *w, *sum, *rows, *row;
	char key[32];

	if (!json_object_object_get_ex(window, "workloads", &wl) ||
	    !json_object_object_get_ex(wl, "top", &top))
		return;
	for (size_t i = 0; i < json_object_array_length(top); i++) {
		w = json_object_array_get_idx(top, i);
		snprintf(key, sizeof(key), "%llu", (unsigned long long)get_u64(w, "cgroup_id"));
		sum = add_recent(child(totals, "workloads"), key, w, not_counts, RECENT_WORKLOADS);
		workload_labels(sum, w);
		if (!json_object_object_get_ex(w, "syscalls", &rows))
			continue;
		for (size_t r = 0; r < json_object_array_length(rows); r++) {
			row = json_object_array_get_idx(rows, r);
			add_recent(child(sum, "by_syscall"), get_str(row, "syscall"), row,
				   sc_not_counts, SIZE_MAX);
		}
		keep_busiest(child(sum, "by_syscall"), RECENT_WORKLOAD_SYSCALLS);
	}
}

void exposition_accumulate(struct json_object *totals, struct json_object *window)
{
	struct json_object *rows, *row, *name, *by_name = child(totals, "syscalls");
	struct json_object *conns, *conn_total, *self;
	static const char *const none[] = { NULL }, *const by_exe[] = { "by_exe", NULL };

	/* Connections: the window's host-wide totals (endpoints come and go). */
	if (json_object_object_get_ex(window, "connections", &conns) &&
	    json_object_object_get_ex(conns, "total", &conn_total))
		add_tree(child(totals, "connections"), conn_total, none);

	if (json_object_object_get_ex(window, "syscalls", &rows)) {
		for (size_t i = 0; i < json_object_array_length(rows); i++) {
			row = json_object_array_get_idx(rows, i);
			if (json_object_object_get_ex(row, "syscall", &name))
				add_tree(child(by_name, json_object_get_string(name)), row,
					 not_additive);
		}
	}
	add_parts(totals, window, totalled, by_exe);
	accumulate_exes(totals, window);
	accumulate_endpoints(totals, window);
	accumulate_workloads(totals, window);
	if (json_object_object_get_ex(window, "self", &self))
		add_parts(totals, self, self_totalled, self_gauges);
}

/* The row of the window's syscalls array named name, or NULL. */
static struct json_object *window_row(struct json_object *window, const char *name)
{
	struct json_object *rows, *row, *n;

	if (!window || !json_object_object_get_ex(window, "syscalls", &rows))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		row = json_object_array_get_idx(rows, i);
		if (json_object_object_get_ex(row, "syscall", &n) &&
		    !strcmp(json_object_get_string(n), name))
			return row;
	}
	return NULL;
}

static void render_calls(struct prom *p, struct json_object *syscalls)
{
	struct json_object *errnos;

	prom_family(p, "hostmon_syscall_calls_total", "counter",
		    "Syscalls completed, since the agent started.");
	json_object_object_foreach(syscalls, name, row)
		prom_u64(p, "hostmon_syscall_calls_total", get_u64(row, "calls"),
			 "syscall", name, NULL);
	prom_family(p, "hostmon_syscall_errors_total", "counter",
		    "Syscalls that returned an error, by errno, since the agent started.");
	json_object_object_foreach(syscalls, name2, row2) {
		if (!json_object_object_get_ex(row2, "errnos", &errnos))
			continue;
		json_object_object_foreach(errnos, err, count)
			prom_u64(p, "hostmon_syscall_errors_total", json_object_get_uint64(count),
				 "syscall", name2, "errno", err, NULL);
	}
}

static void render_summary(struct prom *p, struct json_object *syscalls,
			   struct json_object *window)
{
	static const char *const qs[][2] = {
		{ "0.5", "p50_ns" }, { "0.95", "p95_ns" }, { "0.99", "p99_ns" },
	};
	const char *m = "hostmon_syscall_latency_seconds";
	struct json_object *row;

	prom_family(p, m, "summary", "Syscall latency: quantiles of the latest window; "
		    "sum and count since the agent started.");
	json_object_object_foreach(syscalls, name, total) {
		row = window_row(window, name);
		for (size_t i = 0; row && i < sizeof(qs) / sizeof(qs[0]); i++)
			prom_sec(p, m, get_u64(row, qs[i][1]), "syscall", name,
				 "quantile", qs[i][0], NULL);
		prom_sec(p, "hostmon_syscall_latency_seconds_sum", get_u64(total, "sum_ns"),
			 "syscall", name, NULL);
		prom_u64(p, "hostmon_syscall_latency_seconds_count", get_u64(total, "calls"),
			 "syscall", name, NULL);
	}
}

static void render_buckets(struct prom *p, const char *name, struct json_object *total)
{
	struct json_object *buckets;
	uint64_t cum = 0;
	char le[32];

	if (!json_object_object_get_ex(total, "buckets", &buckets))
		return;
	for (size_t i = 0; i < json_object_array_length(buckets); i++) {
		cum += json_object_get_uint64(json_object_array_get_idx(buckets, i));
		if (i < HIST_LE_COUNT)
			prom_seconds(le, sizeof(le), hist_le_ns[i]);
		else
			strcpy(le, "+Inf");
		prom_u64(p, "hostmon_syscall_duration_seconds_bucket", cum,
			 "syscall", name, "le", le, NULL);
	}
	prom_sec(p, "hostmon_syscall_duration_seconds_sum", get_u64(total, "sum_ns"),
		 "syscall", name, NULL);
	prom_u64(p, "hostmon_syscall_duration_seconds_count", cum, "syscall", name, NULL);
}

static void render_histogram(struct prom *p, struct json_object *syscalls)
{
	prom_family(p, "hostmon_syscall_duration_seconds", "histogram",
		    "Syscall latency since the agent started, cumulative buckets.");
	json_object_object_foreach(syscalls, name, total)
		render_buckets(p, name, total);
}

/* One counter family labelled by the keys of totals[part][sub] (sub may be NULL). */
static void render_keyed(struct prom *p, struct json_object *totals, const char *part,
			 const char *sub, const char *metric, const char *label, const char *help)
{
	struct json_object *o = NULL;

	prom_family(p, metric, "counter", help);
	if (!json_object_object_get_ex(totals, part, &o) ||
	    (sub && !json_object_object_get_ex(o, sub, &o)))
		return;
	json_object_object_foreach(o, key, val)
		if (json_object_is_type(val, json_type_int))
			prom_u64(p, metric, json_object_get_uint64(val), label, key, NULL);
}

static void render_connections(struct prom *p, struct json_object *totals)
{
	struct json_object *conns = child(totals, "connections");

	prom_family(p, "hostmon_connect_attempts_total", "counter",
		    "TCP and UDP connect attempts, since the agent started.");
	prom_u64(p, "hostmon_connect_attempts_total", get_u64(conns, "attempts"), NULL);
	prom_family(p, "hostmon_tcp_retransmits_total", "counter",
		    "Retransmitted TCP segments, since the agent started.");
	prom_u64(p, "hostmon_tcp_retransmits_total", get_u64(conns, "retransmits"), NULL);
}

/* Name, key in an endpoint's totals, help. */
static const char *const endpoint_metrics[][3] = {
	{ "hostmon_endpoint_connect_attempts_total", "attempts",
	  "Connect attempts (out) or accepted connections (in) by endpoint, since the agent started." },
	{ "hostmon_endpoint_retransmits_total", "retransmits",
	  "Retransmitted TCP segments by endpoint, since the agent started." },
	{ "hostmon_endpoint_resets_total", "resets",
	  "TCP resets received or sent by endpoint, since the agent started." },
};

/*
 * Per endpoint, summed over the windows that listed it ([net] top_endpoints
 * each; the rest is only in the host-wide counters), at most RECENT_ENDPOINTS.
 */
static void render_endpoints(struct prom *p, struct json_object *totals)
{
	const char *m = "hostmon_endpoint_connection_errors_total";
	struct json_object *eps = child(totals, "endpoints"), *failures;

	for (size_t i = 0; i < sizeof(endpoint_metrics) / sizeof(endpoint_metrics[0]); i++) {
		prom_family(p, endpoint_metrics[i][0], "counter", endpoint_metrics[i][2]);
		json_object_object_foreach(eps, key, e) {
			(void)key;
			prom_u64(p, endpoint_metrics[i][0], get_u64(e, endpoint_metrics[i][1]),
				 "endpoint", get_str(e, "endpoint"), "protocol", get_str(e, "protocol"),
				 "direction", get_str(e, "direction"), NULL);
		}
	}
	prom_family(p, m, "counter", "Connection errors by endpoint and kind, since the agent started.");
	json_object_object_foreach(eps, key2, e2) {
		(void)key2;
		if (!json_object_object_get_ex(e2, "failures", &failures))
			continue;
		json_object_object_foreach(failures, kind, n)
			prom_u64(p, m, json_object_get_uint64(n), "endpoint", get_str(e2, "endpoint"),
				 "protocol", get_str(e2, "protocol"), "direction",
				 get_str(e2, "direction"), "kind", kind, NULL);
	}
}

/* Name, key in a workload's totals, help. */
static const char *const workload_metrics[][3] = {
	{ "hostmon_workload_calls_total", "calls",
	  "Traced syscalls by workload (cgroup), summed over the windows that ranked it in the top." },
	{ "hostmon_workload_errors_total", "errors",
	  "Traced syscalls that failed, by workload, summed the same way." },
	{ "hostmon_workload_crashes_total", "crashes",
	  "Processes of the workload killed by a signal, summed the same way." },
	{ "hostmon_workload_oom_kills_total", "oom_kills",
	  "OOM kills in the workload, summed the same way." },
	{ "hostmon_workload_connection_errors_total", "conn_errors",
	  "Connection failures of the workload's sockets, summed the same way." },
};

/* The workload's labels: its name, container id and pod UID ("" when none). */
#define WORKLOAD_LABELS(w) "workload", get_str(w, "name"), "container", \
	get_str(w, "container_id"), "pod", get_str(w, "pod_uid")

static void render_workload_syscalls(struct prom *p, struct json_object *wls, const char *m,
				     const char *key)
{
	struct json_object *by_sc;

	json_object_object_foreach(wls, id, w) {
		(void)id;
		if (!json_object_object_get_ex(w, "by_syscall", &by_sc))
			continue;
		json_object_object_foreach(by_sc, sc, row)
			prom_u64(p, m, get_u64(row, key), WORKLOAD_LABELS(w), "syscall", sc, NULL);
	}
}

/* The latest window's p50/p95/p99 of each top workload's syscalls. */
static void render_workload_latency(struct prom *p, struct json_object *window)
{
	static const char *const qs[][2] = {
		{ "p50", "p50_ns" }, { "p95", "p95_ns" }, { "p99", "p99_ns" },
	};
	const char *m = "hostmon_workload_syscall_latency_seconds";
	struct json_object *wl, *top, *w, *rows, *row;

	/* A gauge: "quantile" is a summary's label, and a workload has no latency sum. */
	prom_family(p, m, "gauge", "Syscall latency percentiles (p50, p95, p99) by workload, over "
		    "the latest window (within 6.25%).");
	if (!window || !json_object_object_get_ex(window, "workloads", &wl) ||
	    !json_object_object_get_ex(wl, "top", &top))
		return;
	for (size_t i = 0; i < json_object_array_length(top); i++) {
		w = json_object_array_get_idx(top, i);
		if (!json_object_object_get_ex(w, "syscalls", &rows))
			continue;
		for (size_t r = 0; r < json_object_array_length(rows) &&
				   r < RECENT_WORKLOAD_SYSCALLS; r++) {
			row = json_object_array_get_idx(rows, r);
			for (size_t q = 0; q < sizeof(qs) / sizeof(qs[0]); q++)
				prom_sec(p, m, get_u64(row, qs[q][1]), WORKLOAD_LABELS(w),
						    "syscall", get_str(row, "syscall"), "percentile",
						    qs[q][0], NULL);
		}
	}
}

/*
 * Per workload ([workloads] top each window; RECENT_WORKLOADS kept, each with
 * RECENT_WORKLOAD_SYSCALLS syscalls): docs/workloads.md.
 */
static void render_workloads(struct prom *p, struct json_object *totals, struct json_object *window)
{
	struct json_object *wls = child(totals, "workloads");

	for (size_t i = 0; i < sizeof(workload_metrics) / sizeof(workload_metrics[0]); i++) {
		prom_family(p, workload_metrics[i][0], "counter", workload_metrics[i][2]);
		json_object_object_foreach(wls, id, w) {
			(void)id;
			prom_u64(p, workload_metrics[i][0], get_u64(w, workload_metrics[i][1]),
				 WORKLOAD_LABELS(w), NULL);
		}
	}
	prom_family(p, "hostmon_workload_syscall_calls_total", "counter",
		    "Syscalls by workload and syscall, summed over the windows that ranked it.");
	render_workload_syscalls(p, wls, "hostmon_workload_syscall_calls_total", "calls");
	prom_family(p, "hostmon_workload_syscall_errors_total", "counter",
		    "Failed syscalls by workload and syscall, summed the same way.");
	render_workload_syscalls(p, wls, "hostmon_workload_syscall_errors_total", "errors");
	render_workload_latency(p, window);
}

/* Crash records by exe without the canary, and the canary's apart (hostmonctl selftest). */
static void render_exe_crashes(struct prom *p, struct json_object *totals)
{
	render_keyed(p, totals, "exe_crashes", NULL, "hostmon_exe_crashes_total", "exe",
		     "Process crash records by executable (\"[comm]\" when unknown), hostmonctl "
		     "selftest's canary left out, since the agent started.");
	prom_family(p, "hostmon_selftest_crashes_total", "counter",
		    "Crashes of hostmonctl selftest's canary (on purpose), since the agent started.");
	prom_u64(p, "hostmon_selftest_crashes_total", get_u64(child(totals, "crashes"), "canary"),
		 NULL);
}

/* One counter family labelled by the two levels of keys of totals[part]. */
static void render_nested(struct prom *p, struct json_object *totals, const char *part,
			  const char *metric, const char *label1, const char *label2,
			  const char *help)
{
	struct json_object *o;

	prom_family(p, metric, "counter", help);
	if (!json_object_object_get_ex(totals, part, &o))
		return;
	json_object_object_foreach(o, key1, inner) {
		json_object_object_foreach(inner, key2, n)
			prom_u64(p, metric, json_object_get_uint64(n), label1, key1, label2, key2,
				 NULL);
	}
}

static void render_drops(struct prom *p, struct json_object *totals)
{
	render_nested(p, totals, "drops", "hostmon_drops_total", "family", "reason",
		      "Events or readings lost, by probe family and reason, since the agent started.");
}

/* Name, type, key in totals' pid_cache (counters) or the window's (gauges), help. */
static const char *const pid_cache_metrics[][4] = {
	{ "hostmon_agent_pid_cache_hits_total", "counter", "hits",
	  "Process metadata lookups the cache answered, since the agent started." },
	{ "hostmon_agent_pid_cache_misses_total", "counter", "misses",
	  "Process metadata lookups that read /proc (gone processes included), since the agent started." },
	{ "hostmon_agent_pid_cache_gone_total", "counter", "gone",
	  "Lookups for processes gone before /proc was read, since the agent started." },
	{ "hostmon_agent_pid_cache_failed_total", "counter", "failed",
	  "Lookups that found no memory (their events carry no metadata), since the agent started." },
	{ "hostmon_agent_pid_cache_evictions_total", "counter", "evictions",
	  "Process metadata entries dropped (least recently used, or shrunk), since the agent started." },
	{ "hostmon_agent_pid_cache_entries", "gauge", "entries",
	  "Processes in the metadata cache at the end of the latest window." },
	{ "hostmon_agent_pid_cache_capacity", "gauge", "capacity",
	  "The metadata cache's bound ([agent] pid_cache_size)." },
};

/* Counters since start from totals, gauges from the latest window, the hit ratio since start. */
static void render_pid_cache(struct prom *p, struct json_object *totals, struct json_object *self)
{
	struct json_object *sum = child(totals, "pid_cache"), *win = child(self, "pid_cache");
	uint64_t hits = get_u64(sum, "hits"), lookups = hits + get_u64(sum, "misses");
	char ratio[32];

	for (size_t i = 0; i < sizeof(pid_cache_metrics) / sizeof(pid_cache_metrics[0]); i++) {
		prom_family(p, pid_cache_metrics[i][0], pid_cache_metrics[i][1], pid_cache_metrics[i][3]);
		prom_u64(p, pid_cache_metrics[i][0],
			 get_u64(pid_cache_metrics[i][1][0] == 'c' ? sum : win, pid_cache_metrics[i][2]),
			 NULL);
	}
	prom_family(p, "hostmon_agent_pid_cache_hit_ratio", "gauge",
		    "Share of process metadata lookups the cache answered, since the agent started "
		    "(NaN before any).");
	if (lookups)
		snprintf(ratio, sizeof(ratio), "%.4f", (double)hits / (double)lookups);
	else
		snprintf(ratio, sizeof(ratio), "NaN");
	prom_number(p, "hostmon_agent_pid_cache_hit_ratio", ratio, NULL);
}

/* The memory bound and the shrinks that crossing it caused. */
static void render_memory(struct prom *p, struct json_object *totals, struct json_object *self)
{
	prom_family(p, "hostmon_agent_max_resident_memory_bytes", "gauge",
		    "The agent's memory bound ([agent] max_rss_mb); over it, overload.");
	prom_u64(p, "hostmon_agent_max_resident_memory_bytes", get_u64(self, "max_rss_kb") * 1024,
		 NULL);
	prom_family(p, "hostmon_agent_memory_shrinks_total", "counter",
		    "Times the agent shrank its caches on going over max_rss_mb, since it started.");
	prom_u64(p, "hostmon_agent_memory_shrinks_total",
		 get_u64(totals, "memory_shrinks"), NULL);
}

/* The latest window's own figures of the agent ("self"). */
static void render_self(struct prom *p, struct json_object *self)
{
	struct json_object *v;

	if (!self)
		return;
	if (json_object_object_get_ex(self, "cpu_percent", &v)) {
		prom_family(p, "hostmon_agent_cpu_percent", "gauge",
			    "The agent's CPU over the latest window, percent of one core.");
		prom_number(p, "hostmon_agent_cpu_percent", json_object_get_string(v), NULL);
	}
	prom_family(p, "hostmon_agent_resident_memory_bytes", "gauge",
		    "The agent's resident memory at the end of the latest window.");
	prom_u64(p, "hostmon_agent_resident_memory_bytes", get_u64(self, "rss_kb") * 1024, NULL);
	if (json_object_object_get_ex(self, "ring_fill_max", &v)) {
		prom_family(p, "hostmon_ring_buffer_fill_max_ratio", "gauge",
			    "Fullest events ring buffer seen in the latest window (0..1).");
		prom_number(p, "hostmon_ring_buffer_fill_max_ratio", json_object_get_string(v), NULL);
	}
	if (json_object_object_get_ex(self, "shed_level", &v)) {
		prom_family(p, "hostmon_agent_shedding", "gauge",
			    "1 for the detail events the brownout sheds now (none, slow_syscall, ...).");
		prom_u64(p, "hostmon_agent_shedding", 1, "events", json_object_get_string(v), NULL);
	}
}

/* The agent's own warnings and errors since start ("self"."log"). */
static void render_log(struct prom *p, struct json_object *self)
{
	struct json_object *log, *by_code;

	if (!json_object_object_get_ex(self, "log", &log))
		return;
	prom_family(p, "hostmon_agent_log_records_total", "counter",
		    "Warnings and errors the agent logged (repeats held back included), since start.");
	prom_u64(p, "hostmon_agent_log_records_total", get_u64(log, "errors"), "level", "error", NULL);
	prom_u64(p, "hostmon_agent_log_records_total", get_u64(log, "warnings"), "level", "warn", NULL);
	prom_family(p, "hostmon_agent_log_suppressed_total", "counter",
		    "Identical warnings and errors held back and counted in the next record shown.");
	prom_u64(p, "hostmon_agent_log_suppressed_total", get_u64(log, "suppressed"), NULL);
	prom_family(p, "hostmon_agent_errors_total", "counter",
		    "Warnings and errors by code (docs/errors.md), codes seen since start only.");
	if (json_object_object_get_ex(log, "by_code", &by_code) &&
	    json_object_is_type(by_code, json_type_object)) {
		json_object_object_foreach(by_code, code, n)
			prom_u64(p, "hostmon_agent_errors_total", json_object_get_uint64(n),
				 "code", code, NULL);
	}
}

/* Events in by kind and out by sink and kind, since start. */
static void render_flow(struct prom *p, struct json_object *totals)
{
	render_keyed(p, totals, "events_in", NULL, "hostmon_agent_events_in_total", "kind",
		     "Events the agent took in by kind (read from the kernel's ring buffers, or "
		     "its own metrics and agent_status records), since it started.");
	render_nested(p, totals, "events_out", "hostmon_agent_events_out_total", "sink", "kind",
		      "Records out by sink (jsonl flushed, kafka acknowledged by the broker, socket "
		      "kept for /events) and kind, since the agent started.");
}

static void render_agent(struct prom *p, struct json_object *totals,
			 struct json_object *window, const char *state)
{
	prom_family(p, "hostmon_oom_kills_total", "counter",
		    "Processes the kernel OOM killer chose, since the agent started.");
	prom_u64(p, "hostmon_oom_kills_total", get_u64(totals, "oom_kills"), NULL);
	render_flow(p, totals);
	prom_family(p, "hostmon_agent_state", "gauge",
		    "1 for the agent's current state (starting, running, degraded, draining).");
	prom_u64(p, "hostmon_agent_state", 1, "state", state, NULL);
	if (!window)
		return;
	prom_family(p, "hostmon_agent_info", "gauge",
		    "1, labelled with the agent's host id (as in its records) and version.");
	prom_u64(p, "hostmon_agent_info", 1, "host", get_str(window, "host_id"), "version",
		 HOSTMON_VERSION, NULL);
	prom_family(p, "hostmon_window_end_timestamp_seconds", "gauge",
		    "Wall-clock end of the latest metrics window.");
	prom_sec(p, "hostmon_window_end_timestamp_seconds",
		 get_u64(window, "window_start_ns") + get_u64(window, "window_ns"), NULL);
	prom_family(p, "hostmon_window_duration_seconds", "gauge",
		    "Length of the latest metrics window.");
	prom_sec(p, "hostmon_window_duration_seconds", get_u64(window, "window_ns"), NULL);
	render_self(p, child(window, "self"));
	render_log(p, child(window, "self"));
	render_pid_cache(p, totals, child(window, "self"));
	render_memory(p, totals, child(window, "self"));
}

/* Name, type, key in the metrics record's kafka object, help. */
static const char *const kafka_metrics[][4] = {
	{ "hostmon_kafka_delivered_total", "counter", "delivered",
	  "Records the Kafka broker acknowledged, since the agent started." },
	{ "hostmon_kafka_lost_total", "counter", "lost",
	  "Records never delivered to Kafka (too large, not authorized, no spool), since the agent started." },
	{ "hostmon_kafka_retries_total", "counter", "retries",
	  "Produce requests librdkafka sent again, since the agent started." },
	{ "hostmon_kafka_request_timeouts_total", "counter", "request_timeouts",
	  "Requests to Kafka brokers that timed out, since the agent started." },
	{ "hostmon_kafka_producers_recreated_total", "counter", "producers_recreated",
	  "Kafka producers replaced after a fatal error, since the agent started." },
	{ "hostmon_kafka_queue_messages", "gauge", "queue_depth",
	  "Records in librdkafka's queue, waiting for the broker." },
	{ "hostmon_kafka_queue_bytes", "gauge", "queue_bytes",
	  "Bytes of the records in librdkafka's queue." },
	{ "hostmon_kafka_spool_records", "gauge", "spool_records",
	  "Records in the spool, not yet acknowledged by the broker." },
	{ "hostmon_kafka_spool_bytes", "gauge", "spool_bytes",
	  "Bytes of spool segments on disk." },
	{ "hostmon_kafka_spool_oldest_age_seconds", "gauge", "spool_oldest_age_ns",
	  "Age of the oldest spooled record the broker has not acknowledged; 0 when none." },
	{ "hostmon_kafka_connected_brokers", "gauge", "connected_brokers",
	  "Kafka brokers the producer is connected to." },
};

/* The latest window's delivery latency (record emitted to broker acknowledgement). */
static void render_delivery_latency(struct prom *p, struct json_object *lat)
{
	static const char *const qs[][2] = {
		{ "0.5", "p50_ns" }, { "0.95", "p95_ns" }, { "0.99", "p99_ns" }, { "1", "max_ns" },
	};
	const char *m = "hostmon_kafka_delivery_latency_window_seconds";

	if (!lat)
		return;
	prom_family(p, m, "gauge", "Records' time from emission to the broker's acknowledgement, "
		    "quantiles of the latest window (spool waits included).");
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		prom_sec(p, m, get_u64(lat, qs[i][1]), "quantile", qs[i][0], NULL);
	prom_family(p, "hostmon_kafka_delivered_window", "gauge",
		    "Records the broker acknowledged in the latest window.");
	prom_u64(p, "hostmon_kafka_delivered_window", get_u64(lat, "count"), NULL);
}

/* The latest window's kafka object: cumulative counters and gauges as they were then. */
static void render_kafka(struct prom *p, struct json_object *window)
{
	struct json_object *k, *state;

	if (!window || !json_object_object_get_ex(window, "kafka", &k))
		return;
	for (size_t i = 0; i < sizeof(kafka_metrics) / sizeof(kafka_metrics[0]); i++) {
		prom_family(p, kafka_metrics[i][0], kafka_metrics[i][1], kafka_metrics[i][3]);
		if (strstr(kafka_metrics[i][2], "_ns"))
			prom_sec(p, kafka_metrics[i][0], get_u64(k, kafka_metrics[i][2]), NULL);
		else
			prom_u64(p, kafka_metrics[i][0], get_u64(k, kafka_metrics[i][2]), NULL);
	}
	prom_family(p, "hostmon_kafka_state", "gauge",
		    "1 for the Kafka sink's state (connecting, connected, unreachable, error).");
	if (json_object_object_get_ex(k, "state", &state))
		prom_u64(p, "hostmon_kafka_state", 1, "state", json_object_get_string(state), NULL);
	render_delivery_latency(p, child(k, "delivery_latency"));
}

/* The kernel's figure for the agent's BPF maps by family, and their pages mapped into the agent (from /health). */
static void render_bpf_memory(struct prom *p, struct json_object *health)
{
	struct json_object *by_family;

	if (!health || !json_object_object_get_ex(health, "bpf_memory", &by_family))
		return;
	prom_family(p, "hostmon_bpf_memory_bytes", "gauge",
		    "Memory the kernel charges for the agent's BPF maps (ring buffers included), "
		    "by probe family; exe is the map they share.");
	json_object_object_foreach(by_family, family, bytes)
		prom_u64(p, "hostmon_bpf_memory_bytes", json_object_get_uint64(bytes), "family", family,
			 NULL);
	prom_family(p, "hostmon_agent_bpf_mapped_bytes", "gauge",
		    "Resident pages of BPF maps mapped into the agent (ring buffers' data twice): "
		    "counted in hostmon_bpf_memory_bytes, not in hostmon_agent_resident_memory_bytes.");
	prom_u64(p, "hostmon_agent_bpf_mapped_bytes", get_u64(health, "bpf_mapped_bytes"), NULL);
}

char *exposition_render(struct json_object *totals, struct json_object *window,
			struct json_object *health, const char *state, size_t *len)
{
	struct json_object *syscalls = child(totals, "syscalls");
	struct prom p;

	prom_init(&p);
	render_calls(&p, syscalls);
	render_summary(&p, syscalls, window);
	render_histogram(&p, syscalls);
	render_keyed(&p, totals, "crashes", "by_signal", "hostmon_process_crashes_total",
		     "signal", "Processes that died of a signal (the kernel's count, hostmonctl "
		     "selftest's canary included), since the agent started.");
	render_exe_crashes(&p, totals);
	render_keyed(&p, totals, "connections", "failures", "hostmon_connection_errors_total",
		     "kind", "Connection errors by kind, since the agent started.");
	render_connections(&p, totals);
	render_endpoints(&p, totals);
	render_workloads(&p, totals, window);
	render_drops(&p, totals);
	render_agent(&p, totals, window, state);
	render_bpf_memory(&p, health);
	render_kafka(&p, window);
	return prom_take(&p, len);
}
