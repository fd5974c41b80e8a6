/* Tables of the latest window and recent crashes, sorted, never wider than 80 columns. */
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "table.h"
#include "core/jsonget.h"

void ctl_table_ns(char *out, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(out, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(out, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(out, len, "%.2fms", ns / 1e6);
	else
		snprintf(out, len, "%.2fs", ns / 1e9);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t drops_total(struct json_object *drops)
{
	uint64_t n = 0;

	json_object_object_foreach(drops, family, reasons) {
		(void)family;
		json_object_object_foreach(reasons, reason, v) {
			(void)reason;
			n += json_object_get_uint64(v);
		}
	}
	return n;
}

void ctl_table_status(FILE *f, struct json_object *health, struct json_object *window)
{
	struct json_object *drops;
	uint64_t ndrops = 0;

	if (json_object_object_get_ex(health, "drops", &drops))
		ndrops = drops_total(drops);
	fprintf(f, "hostmond %-9s", jsonget_str(health, "state"));
	if (window)
		fprintf(f, " window %5.1fs,", jsonget_u64(window, "window_ns") / 1e9);
	if (jsonget_u64(health, "last_window_ns"))
		fprintf(f, " last closed %4.1fs ago",
			now_s() - jsonget_u64(health, "last_window_ns") / 1e9);
	else
		fprintf(f, " no window closed yet");
	fprintf(f, ", drops %" PRIu64 "\n", ndrops);
}

static int by_calls(const void *a, const void *b)
{
	uint64_t x = jsonget_u64(*(struct json_object *const *)a, "calls");
	uint64_t y = jsonget_u64(*(struct json_object *const *)b, "calls");

	return x < y ? 1 : x > y ? -1 : 0;
}

static void syscall_row(FILE *f, struct json_object *row, double window_s)
{
	char p50[16], p95[16], p99[16];
	uint64_t calls = jsonget_u64(row, "calls"), errors = jsonget_u64(row, "errors");

	ctl_table_ns(p50, sizeof(p50), jsonget_u64(row, "p50_ns"));
	ctl_table_ns(p95, sizeof(p95), jsonget_u64(row, "p95_ns"));
	ctl_table_ns(p99, sizeof(p99), jsonget_u64(row, "p99_ns"));
	fprintf(f, "%-19.19s %11.1f %10.1f %6.1f %9s %9s %9s\n", jsonget_str(row, "syscall"),
		calls / window_s, errors / window_s, calls ? 100.0 * errors / calls : 0.0, p50,
		p95, p99);
}

void ctl_table_syscalls(FILE *f, struct json_object *window, int max_rows)
{
	struct json_object *rows;
	double window_s = jsonget_u64(window, "window_ns") / 1e9;
	size_t n;

	fprintf(f, "%-19s %11s %10s %6s %9s %9s %9s\n", "SYSCALL", "CALLS/S", "ERRORS/S", "ERR%",
		"P50", "P95", "P99");
	if (!json_object_object_get_ex(window, "syscalls", &rows) || window_s <= 0)
		return;
	json_object_array_sort(rows, by_calls);
	n = json_object_array_length(rows);
	for (size_t i = 0; i < n && (int)i < max_rows; i++)
		syscall_row(f, json_object_array_get_idx(rows, i), window_s);
}

/*
 * What fits a column: a container as runtime:short id, "k8s:" before it in a
 * pod (the pod's UID is in /stats), else the workload's name.
 */
static void workload_label(char *out, size_t len, struct json_object *w)
{
	const char *id = jsonget_str(w, "container_id");

	if (strlen(id) >= 12)
		snprintf(out, len, "%s%s:%.12s", *jsonget_str(w, "pod_uid") ? "k8s:" : "",
			 jsonget_str(w, "runtime"), id);
	else
		snprintf(out, len, "%s", jsonget_str(w, "name"));
}

static void workload_row(FILE *f, struct json_object *w, double window_s)
{
	struct json_object *rows, *busiest = NULL;
	uint64_t calls = jsonget_u64(w, "calls");
	char p95[16] = "-", label[64];

	/* The agent lists a workload's syscalls by calls, most first. */
	if (json_object_object_get_ex(w, "syscalls", &rows) && json_object_array_length(rows))
		busiest = json_object_array_get_idx(rows, 0);
	if (busiest)
		ctl_table_ns(p95, sizeof(p95), jsonget_u64(busiest, "p95_ns"));
	workload_label(label, sizeof(label), w);
	fprintf(f, "%-27.27s %9.1f %5.1f %5" PRIu64 " %3" PRIu64 " %7" PRIu64 " %-9.9s %8s\n",
		label, calls / window_s, calls ? 100.0 * jsonget_u64(w, "errors") / calls : 0.0,
		jsonget_u64(w, "crashes"), jsonget_u64(w, "oom_kills"),
		jsonget_u64(w, "conn_errors"),
		busiest ? jsonget_str(busiest, "syscall") : "-", p95);
}

void ctl_table_workloads(FILE *f, struct json_object *window, int max_rows)
{
	struct json_object *wl, *rows;
	double window_s = jsonget_u64(window, "window_ns") / 1e9;

	fprintf(f, "%-27s %9s %5s %5s %3s %7s %-9s %8s\n", "WORKLOAD", "CALLS/S", "ERR%",
		"CRASH", "OOM", "CONNERR", "BUSIEST", "P95");
	if (!json_object_object_get_ex(window, "workloads", &wl) ||
	    !json_object_object_get_ex(wl, "top", &rows) || window_s <= 0)
		return;
	for (size_t i = 0; i < json_object_array_length(rows) && (int)i < max_rows; i++)
		workload_row(f, json_object_array_get_idx(rows, i), window_s);
}

static int by_errors(const void *a, const void *b)
{
	uint64_t x = jsonget_u64(*(struct json_object *const *)a, "errors");
	uint64_t y = jsonget_u64(*(struct json_object *const *)b, "errors");

	return x < y ? 1 : x > y ? -1 : 0;
}

void ctl_table_endpoints(FILE *f, struct json_object *window, int max_rows)
{
	struct json_object *conns, *rows, *row;
	int shown = 0;

	fprintf(f, "%-47s %10s %10s\n", "FAILING ENDPOINT", "ATTEMPTS", "ERRORS");
	if (!json_object_object_get_ex(window, "connections", &conns) ||
	    !json_object_object_get_ex(conns, "endpoints", &rows) ||
	    !json_object_is_type(rows, json_type_array))
		return;
	json_object_array_sort(rows, by_errors);
	for (size_t i = 0; i < json_object_array_length(rows) && shown < max_rows; i++) {
		row = json_object_array_get_idx(rows, i);
		if (!jsonget_u64(row, "errors"))
			break;
		fprintf(f, "%-47.47s %10" PRIu64 " %10" PRIu64 "\n", jsonget_str(row, "endpoint"),
			jsonget_u64(row, "attempts"),
			jsonget_u64(row, "errors"));
		shown++;
	}
}

static void crash_row(FILE *f, struct json_object *ev)
{
	time_t t = (time_t)(jsonget_u64(ev, "ts_ns") / 1000000000ULL);
	char when[16], what[32];
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%H:%M:%S", &tm))
		snprintf(when, sizeof(when), "?");
	if (!strcmp(jsonget_str(ev, "type"), "oom_kill"))
		snprintf(what, sizeof(what), "OOM kill");
	else if (json_object_get_boolean(json_object_object_get(ev, "canary")))
		snprintf(what, sizeof(what), "selftest canary");	/* on purpose, not a crash */
	else
		snprintf(what, sizeof(what), "%s%s", jsonget_str(ev, "signal_name"),
			 json_object_get_boolean(json_object_object_get(ev, "core_dumped")) ?
			 " (core)" : "");
	fprintf(f, "%-8s %8" PRIu64 " %-16.16s %-18.18s %-25.25s\n", when, jsonget_u64(ev, "pid"),
		jsonget_str(ev, "comm"), what, jsonget_str(ev, "cgroup"));
}

void ctl_table_crashes(FILE *f, struct json_object *events, int max_rows)
{
	size_t n = json_object_array_length(events);

	fprintf(f, "%-8s %8s %-16s %-18s %-25s\n", "TIME", "PID", "COMMAND", "CRASH", "CGROUP");
	for (size_t i = n; i-- > 0 && (int)(n - 1 - i) < max_rows;)
		crash_row(f, json_object_array_get_idx(events, i));
}
