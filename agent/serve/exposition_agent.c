/* The agent's own families of the exposition: state, window, CPU, memory, log, caches, flow. */
#include <stdio.h>
#include "serve/exposition_agent.h"
#include "serve/jsonsum.h"
#include "serve/prom_json.h"
#include "core/jsonget.h"
#include "core/version.h"

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
	struct json_object *sum = jsonsum_child(totals, "pid_cache");
	struct json_object *win = jsonsum_child(self, "pid_cache");
	uint64_t hits = jsonget_u64(sum, "hits"), lookups = hits + jsonget_u64(sum, "misses");
	char ratio[32];

	for (size_t i = 0; i < sizeof(pid_cache_metrics) / sizeof(pid_cache_metrics[0]); i++) {
		prom_family(p, pid_cache_metrics[i][0], pid_cache_metrics[i][1], pid_cache_metrics[i][3]);
		prom_u64(p, pid_cache_metrics[i][0],
			 jsonget_u64(pid_cache_metrics[i][1][0] == 'c' ? sum : win,
				     pid_cache_metrics[i][2]), NULL);
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
	prom_u64(p, "hostmon_agent_max_resident_memory_bytes", jsonget_u64(self, "max_rss_kb") * 1024,
		 NULL);
	prom_family(p, "hostmon_agent_memory_shrinks_total", "counter",
		    "Times the agent shrank its caches on going over max_rss_mb, since it started.");
	prom_u64(p, "hostmon_agent_memory_shrinks_total",
		 jsonget_u64(totals, "memory_shrinks"), NULL);
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
	prom_u64(p, "hostmon_agent_resident_memory_bytes", jsonget_u64(self, "rss_kb") * 1024, NULL);
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
	prom_u64(p, "hostmon_agent_log_records_total", jsonget_u64(log, "errors"),
		 "level", "error", NULL);
	prom_u64(p, "hostmon_agent_log_records_total", jsonget_u64(log, "warnings"),
		 "level", "warn", NULL);
	prom_family(p, "hostmon_agent_log_suppressed_total", "counter",
		    "Identical warnings and errors held back and counted in the next record shown.");
	prom_u64(p, "hostmon_agent_log_suppressed_total", jsonget_u64(log, "suppressed"), NULL);
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
	prom_json_keyed(p, totals, "events_in", NULL, "hostmon_agent_events_in_total", "kind",
			"Events the agent took in by kind (read from the kernel's ring buffers, or "
			"its own metrics and agent_status records), since it started.");
	prom_json_nested(p, totals, "events_out", "hostmon_agent_events_out_total", "sink", "kind",
			 "Records out by sink (jsonl flushed, kafka acknowledged by the broker, socket "
			 "kept for /events) and kind, since the agent started.");
}

static void render_agent(struct prom *p, struct json_object *totals,
			 struct json_object *window, const char *state)
{
	prom_family(p, "hostmon_oom_kills_total", "counter",
		    "Processes the kernel OOM killer chose, since the agent started.");
	prom_u64(p, "hostmon_oom_kills_total", jsonget_u64(totals, "oom_kills"), NULL);
	render_flow(p, totals);
	prom_family(p, "hostmon_agent_state", "gauge",
		    "1 for the agent's current state (starting, running, degraded, draining).");
	prom_u64(p, "hostmon_agent_state", 1, "state", state, NULL);
	if (!window)
		return;
	prom_family(p, "hostmon_agent_info", "gauge",
		    "1, labelled with the agent's host id (as in its records) and version.");
	prom_u64(p, "hostmon_agent_info", 1, "host", jsonget_str(window, "host_id"), "version",
		 HOSTMON_VERSION, NULL);
	prom_family(p, "hostmon_window_end_timestamp_seconds", "gauge",
		    "Wall-clock end of the latest metrics window.");
	prom_sec(p, "hostmon_window_end_timestamp_seconds",
		 jsonget_u64(window, "window_start_ns") + jsonget_u64(window, "window_ns"), NULL);
	prom_family(p, "hostmon_window_duration_seconds", "gauge",
		    "Length of the latest metrics window.");
	prom_sec(p, "hostmon_window_duration_seconds", jsonget_u64(window, "window_ns"), NULL);
	render_self(p, jsonsum_child(window, "self"));
	render_log(p, jsonsum_child(window, "self"));
	render_pid_cache(p, totals, jsonsum_child(window, "self"));
	render_memory(p, totals, jsonsum_child(window, "self"));
}

/*
 * The kernel's figure for the agent's BPF maps by family, and their pages
 * mapped into the agent (from /health).
 */
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
	prom_u64(p, "hostmon_agent_bpf_mapped_bytes", jsonget_u64(health, "bpf_mapped_bytes"), NULL);
}

void exposition_agent_render(struct prom *p, struct json_object *totals, struct json_object *window,
			     struct json_object *health, const char *state)
{
	render_agent(p, totals, window, state);
	render_bpf_memory(p, health);
}
