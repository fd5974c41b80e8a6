/* hostmon's Prometheus exposition: its two entry points; the host's crashes, connections and drops. */
#include "serve/exposition.h"
#include "serve/exposition_agent.h"
#include "serve/exposition_kafka.h"
#include "serve/exposition_syscalls.h"
#include "serve/exposition_totals.h"
#include "serve/exposition_workloads.h"
#include "serve/jsonsum.h"
#include "serve/prom.h"
#include "serve/prom_json.h"
#include "core/jsonget.h"

void exposition_accumulate(struct json_object *totals, struct json_object *window)
{
	exposition_totals_add(totals, window);
	exposition_workloads_add(totals, window);
	exposition_totals_add_self(totals, window);
}

static void render_connections(struct prom *p, struct json_object *totals)
{
	struct json_object *conns = jsonsum_child(totals, "connections");

	prom_family(p, "hostmon_connect_attempts_total", "counter",
		    "TCP and UDP connect attempts, since the agent started.");
	prom_u64(p, "hostmon_connect_attempts_total", jsonget_u64(conns, "attempts"), NULL);
	prom_family(p, "hostmon_tcp_retransmits_total", "counter",
		    "Retransmitted TCP segments, since the agent started.");
	prom_u64(p, "hostmon_tcp_retransmits_total", jsonget_u64(conns, "retransmits"), NULL);
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
 * each; the rest is only in the host-wide counters), the most recently active kept.
 */
static void render_endpoints(struct prom *p, struct json_object *totals)
{
	const char *m = "hostmon_endpoint_connection_errors_total";
	struct json_object *eps = jsonsum_child(totals, "endpoints"), *failures;

	for (size_t i = 0; i < sizeof(endpoint_metrics) / sizeof(endpoint_metrics[0]); i++) {
		prom_family(p, endpoint_metrics[i][0], "counter", endpoint_metrics[i][2]);
		json_object_object_foreach(eps, key, e) {
			(void)key;
			prom_u64(p, endpoint_metrics[i][0], jsonget_u64(e, endpoint_metrics[i][1]),
				 "endpoint", jsonget_str(e, "endpoint"),
				 "protocol", jsonget_str(e, "protocol"),
				 "direction", jsonget_str(e, "direction"), NULL);
		}
	}
	prom_family(p, m, "counter", "Connection errors by endpoint and kind, since the agent started.");
	json_object_object_foreach(eps, key2, e2) {
		(void)key2;
		if (!json_object_object_get_ex(e2, "failures", &failures))
			continue;
		json_object_object_foreach(failures, kind, n)
			prom_u64(p, m, json_object_get_uint64(n),
				 "endpoint", jsonget_str(e2, "endpoint"),
				 "protocol", jsonget_str(e2, "protocol"),
				 "direction", jsonget_str(e2, "direction"), "kind", kind, NULL);
	}
}

/* Crash records by exe without the canary, and the canary's apart (hostmonctl selftest). */
static void render_exe_crashes(struct prom *p, struct json_object *totals)
{
	prom_json_keyed(p, totals, "exe_crashes", NULL, "hostmon_exe_crashes_total", "exe",
			"Process crash records by executable (\"[comm]\" when unknown), hostmonctl "
			"selftest's canary left out, since the agent started.");
	prom_family(p, "hostmon_selftest_crashes_total", "counter",
		    "Crashes of hostmonctl selftest's canary (on purpose), since the agent started.");
	prom_u64(p, "hostmon_selftest_crashes_total",
		 jsonget_u64(jsonsum_child(totals, "crashes"), "canary"), NULL);
}

static void render_drops(struct prom *p, struct json_object *totals)
{
	prom_json_nested(p, totals, "drops", "hostmon_drops_total", "family", "reason",
			 "Events or readings lost, by probe family and reason, since the agent started.");
}

char *exposition_render(struct json_object *totals, struct json_object *window,
			struct json_object *health, const char *state, size_t *len)
{
	struct prom p;

	prom_init(&p);
	exposition_syscalls_render(&p, totals, window);
	prom_json_keyed(&p, totals, "crashes", "by_signal", "hostmon_process_crashes_total",
			"signal", "Processes that died of a signal (the kernel's count, hostmonctl "
			"selftest's canary included), since the agent started.");
	render_exe_crashes(&p, totals);
	prom_json_keyed(&p, totals, "connections", "failures", "hostmon_connection_errors_total",
			"kind", "Connection errors by kind, since the agent started.");
	render_connections(&p, totals);
	render_endpoints(&p, totals);
	exposition_workloads_render(&p, totals, window);
	render_drops(&p, totals);
	exposition_agent_render(&p, totals, window, health, state);
	exposition_kafka_render(&p, window);
	return prom_take(&p, len);
}
