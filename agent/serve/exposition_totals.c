/* The exposition's running sums since start: what each metrics record adds host-wide. */
#include <stdio.h>
#include "serve/exposition_totals.h"
#include "serve/jsonsum.h"
#include "core/jsonget.h"

/*
 * Series labelled by data (crashing exes, remote endpoints) kept since start:
 * at most this many each, the least recently active dropped first.
 */
#define RECENT_EXES		256
#define RECENT_ENDPOINTS	1024

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

/* The window's crash records by exe (canaries apart), into totals.exe_crashes. */
static void add_exes(struct json_object *totals, struct json_object *window)
{
	struct json_object *crashes, *by_exe;

	if (!json_object_object_get_ex(window, "crashes", &crashes) ||
	    !json_object_object_get_ex(crashes, "by_exe", &by_exe))
		return;
	json_object_object_foreach(by_exe, exe, n)
		jsonsum_add_recent(jsonsum_child(totals, "exe_crashes"), exe, n, NULL, RECENT_EXES);
}

/* The window's listed endpoints, into totals.endpoints keyed by protocol, direction and endpoint. */
static void add_endpoints(struct json_object *totals, struct json_object *window)
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
		snprintf(key, sizeof(key), "%s %s %s", jsonget_str(row, "protocol"),
			 jsonget_str(row, "direction"), jsonget_str(row, "endpoint"));
		sum = jsonsum_add_recent(jsonsum_child(totals, "endpoints"), key, row, not_counts,
					 RECENT_ENDPOINTS);
		for (size_t l = 0; l < sizeof(labels) / sizeof(labels[0]); l++)
			json_object_object_add(sum, labels[l],
					       json_object_new_string(jsonget_str(row, labels[l])));
	}
}

void exposition_totals_add(struct json_object *totals, struct json_object *window)
{
	struct json_object *rows, *row, *name, *by_name = jsonsum_child(totals, "syscalls");
	struct json_object *conns, *conn_total;
	static const char *const none[] = { NULL }, *const by_exe[] = { "by_exe", NULL };

	/* Connections: the window's host-wide totals (endpoints come and go). */
	if (json_object_object_get_ex(window, "connections", &conns) &&
	    json_object_object_get_ex(conns, "total", &conn_total))
		jsonsum_add(jsonsum_child(totals, "connections"), conn_total, none);

	if (json_object_object_get_ex(window, "syscalls", &rows)) {
		for (size_t i = 0; i < json_object_array_length(rows); i++) {
			row = json_object_array_get_idx(rows, i);
			if (json_object_object_get_ex(row, "syscall", &name))
				jsonsum_add(jsonsum_child(by_name, json_object_get_string(name)),
					    row, not_additive);
		}
	}
	jsonsum_add_parts(totals, window, totalled, by_exe);
	add_exes(totals, window);
	add_endpoints(totals, window);
}

void exposition_totals_add_self(struct json_object *totals, struct json_object *window)
{
	struct json_object *self;

	if (json_object_object_get_ex(window, "self", &self))
		jsonsum_add_parts(totals, self, self_totalled, self_gauges);
}
