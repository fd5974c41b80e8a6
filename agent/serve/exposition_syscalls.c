/* The syscall families of the exposition: calls, errors by errno, latency summary and histogram. */
#include <string.h>
#include "serve/exposition_syscalls.h"
#include "serve/jsonsum.h"
#include "record/hist.h"
#include "core/jsonget.h"

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
		prom_u64(p, "hostmon_syscall_calls_total", jsonget_u64(row, "calls"),
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
			prom_sec(p, m, jsonget_u64(row, qs[i][1]), "syscall", name,
				 "quantile", qs[i][0], NULL);
		prom_sec(p, "hostmon_syscall_latency_seconds_sum", jsonget_u64(total, "sum_ns"),
			 "syscall", name, NULL);
		prom_u64(p, "hostmon_syscall_latency_seconds_count", jsonget_u64(total, "calls"),
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
	prom_sec(p, "hostmon_syscall_duration_seconds_sum", jsonget_u64(total, "sum_ns"),
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

void exposition_syscalls_render(struct prom *p, struct json_object *totals,
				struct json_object *window)
{
	struct json_object *syscalls = jsonsum_child(totals, "syscalls");

	render_calls(p, syscalls);
	render_summary(p, syscalls, window);
	render_histogram(p, syscalls);
}
