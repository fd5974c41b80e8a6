/* Per-workload series of the exposition: the top workloads' sums since start and latest latency. */
#include <stdint.h>
#include <stdio.h>
#include "serve/exposition_workloads.h"
#include "serve/jsonsum.h"
#include "core/jsonget.h"

/*
 * Workloads (the windows' top ones) kept since start, the least recently
 * active dropped first; each one's busiest syscalls.
 */
#define RECENT_WORKLOADS	64
#define RECENT_WORKLOAD_SYSCALLS	16

/* Drops the syscalls with the fewest calls from by_syscall until it holds at most max. */
static void keep_busiest(struct json_object *by_syscall, size_t max)
{
	while ((size_t)json_object_object_length(by_syscall) > max) {
		const char *least = NULL;
		uint64_t min = UINT64_MAX;

		json_object_object_foreach(by_syscall, sc, row) {
			if (jsonget_u64(row, "calls") < min) {
				min = jsonget_u64(row, "calls");
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
		json_object_object_add(sum, labels[l],
				       json_object_new_string(jsonget_str(w, labels[l])));
}

/*
 * The window's top workloads, into totals.workloads keyed by cgroup id: their
 * counts, and their syscalls' calls and errors (at most
 * RECENT_WORKLOAD_SYSCALLS each, the least recently active dropped first).
 */
void exposition_workloads_add(struct json_object *totals, struct json_object *window)
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
		snprintf(key, sizeof(key), "%llu", (unsigned long long)jsonget_u64(w, "cgroup_id"));
		sum = jsonsum_add_recent(jsonsum_child(totals, "workloads"), key, w, not_counts,
					 RECENT_WORKLOADS);
		workload_labels(sum, w);
		if (!json_object_object_get_ex(w, "syscalls", &rows))
			continue;
		for (size_t r = 0; r < json_object_array_length(rows); r++) {
			row = json_object_array_get_idx(rows, r);
			jsonsum_add_recent(jsonsum_child(sum, "by_syscall"), jsonget_str(row, "syscall"),
					   row, sc_not_counts, SIZE_MAX);
		}
		keep_busiest(jsonsum_child(sum, "by_syscall"), RECENT_WORKLOAD_SYSCALLS);
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
#define WORKLOAD_LABELS(w) "workload", jsonget_str(w, "name"), "container", \
	jsonget_str(w, "container_id"), "pod", jsonget_str(w, "pod_uid")

static void render_workload_syscalls(struct prom *p, struct json_object *wls, const char *m,
				     const char *key)
{
	struct json_object *by_sc;

	json_object_object_foreach(wls, id, w) {
		(void)id;
		if (!json_object_object_get_ex(w, "by_syscall", &by_sc))
			continue;
		json_object_object_foreach(by_sc, sc, row)
			prom_u64(p, m, jsonget_u64(row, key), WORKLOAD_LABELS(w), "syscall", sc, NULL);
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
				prom_sec(p, m, jsonget_u64(row, qs[q][1]), WORKLOAD_LABELS(w),
					 "syscall", jsonget_str(row, "syscall"), "percentile",
					 qs[q][0], NULL);
		}
	}
}

/*
 * Per workload ([workloads] top each window; RECENT_WORKLOADS kept, each with
 * RECENT_WORKLOAD_SYSCALLS syscalls): docs/workloads.md.
 */
void exposition_workloads_render(struct prom *p, struct json_object *totals,
				  struct json_object *window)
{
	struct json_object *wls = jsonsum_child(totals, "workloads");

	for (size_t i = 0; i < sizeof(workload_metrics) / sizeof(workload_metrics[0]); i++) {
		prom_family(p, workload_metrics[i][0], "counter", workload_metrics[i][2]);
		json_object_object_foreach(wls, id, w) {
			(void)id;
			prom_u64(p, workload_metrics[i][0], jsonget_u64(w, workload_metrics[i][1]),
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
