/* /health's details, built from the daemon's state each time it changes and published to the stats socket. */
#include "core/log.h"
#include "daemon/governor.h"
#include "daemon/health.h"
#include "daemon/lifecycle.h"
#include "daemon/state.h"
#include "probes/family_set.h"
#include "probes/workload_cache.h"
#include "serve/snapshot.h"
#include "serve/statsock.h"
#include "sinks/kafka_sink.h"

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

struct json_object *health_probes(const struct family_set *set)
{
	struct json_object *probes = json_object_new_object();

	for (size_t i = 0; i < family_set__count(set); i++)
		json_object_object_add(probes, family_set__name(set, i),
				       family_json(family_set__status(set, i)));
	return probes;
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

/* How workloads are named: the cgroup path cache (file handles or walks of the cgroup2 tree). */
static struct json_object *names_json(const struct workload_cache *names)
{
	struct json_object *o = json_object_new_object();
	struct workload_cache_stats st;

	workload_cache__stats(names, &st);
	health_str(o, "by", st.handles ? "file handle" : "walk");
	health_u64(o, "entries", st.entries);
	health_u64(o, "capacity", st.capacity);
	health_u64(o, "hits", st.hits);
	health_u64(o, "misses", st.misses);
	health_u64(o, "walks", st.walks);
	health_u64(o, "walk_dirs", st.walk_dirs);
	health_u64(o, "walk_truncated", st.walk_truncated);
	health_u64(o, "by_pid", st.pid_paths);
	return o;
}

/* RED per workload: on or off, and how the names are found (walks run in the event loop). */
static struct json_object *workloads_json(const struct daemon *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "enabled", json_object_new_boolean(d->workloads != NULL));
	if (!d->workloads)
		return o;
	health_u64(o, "top", d->cfg.workloads_top);
	health_u64(o, "entries", d->cfg.workloads_entries);
	if (d->wl_names)
		json_object_object_add(o, "names", names_json(d->wl_names));
	return o;
}

/* The state and why, probe families, kernel, privileges, memory, workloads, running config, Kafka. */
static struct json_object *details_json(const struct daemon *d)
{
	struct json_object *details = json_object_new_object();

	health_str(details, "reason", lifecycle__cause(d->life));
	health_u64(details, "state_since_ns", lifecycle__since_ns(d->life));
	if (d->gov)
		health_str(details, "shed", shed_level_name(governor__level(d->gov)));
	json_object_object_add(details, "probes", health_probes(d->fams));
	json_object_object_add(details, "kernel", kernel_json(&d->kf));
	json_object_object_add(details, "capabilities",
			       json_object_new_string(d->kept_cap_bpf ? "CAP_BPF" : "none"));
	add_bpf_memory(d, details);
	json_object_object_add(details, "workloads", workloads_json(d));
	json_object_object_add(details, "config", config_json(&d->cfg));
	if (d->kafka)
		json_object_object_add(details, "kafka", kafka_sink__report(d->kafka));
	return details;
}

void health_publish(struct daemon *d)
{
	if (!d->sock)
		return;
	snapshot_builder__health(d->snap, agent_state_name(lifecycle__state(d->life)),
				 details_json(d));
	statsock__publish(d->sock, snapshot_builder__build(d->snap));
}

void health_publish_kafka_progress(struct daemon *d)
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
	health_publish(d);
}
