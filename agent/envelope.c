/* The agent's own records (metrics, agent_status), still built as json-c trees, to their hostmon.v1.Envelope in the record's arena. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "envelope.h"
#include "record.h"
#include "syscalls.h"
#include "proto/hostmon.pb-c.h"

/* n message pointers in the record's arena: protobuf-c's repeated message fields are arrays of them. */
static void *arena_ptrs(struct record *a, size_t n)
{
	return record__alloc(a, n * sizeof(void *));
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static uint64_t ju64(struct json_object *o, const char *key)
{
	return json_object_get_uint64(jget(o, key));
}

/* The record's string (it outlives the packing); "" when missing or null. */
static char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_string) ? (char *)json_object_get_string(v) : "";
}

/* The index of s in names (the enum value), 0 (UNSPECIFIED) when not there. */
static int jenum(struct json_object *o, const char *key, const char *const *names, int n)
{
	const char *s = jstr(o, key);

	for (int i = 1; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return 0;
}

#define JENUM(o, key, names) jenum(o, key, names, (int)(sizeof(names) / sizeof((names)[0])))

/* Indexed by the enums' values in hostmon.proto. */
static const char *const state_names[] = { "", "starting", "running", "degraded", "draining",
					   "stopped" };
static const char *const protocol_names[] = { "", "tcp", "udp" };
static const char *const direction_names[] = { "", "out", "in" };

/* Every map<string, uint64> entry type protoc-c generates has this layout. */
struct u64_entry {
	/* cppcheck-suppress unusedStructMember ; protobuf-c's init fills it */
	ProtobufCMessage base;
	char *key;
	uint64_t value;
};

/* A JSON object of counts as an array of desc's map entries; *n gets its length. */
static void *u64_map(struct record *a, struct json_object *obj,
		     const ProtobufCMessageDescriptor *desc, size_t *n)
{
	struct u64_entry **entries;
	size_t i = 0;

	*n = 0;
	if (!json_object_is_type(obj, json_type_object) || !json_object_object_length(obj))
		return NULL;
	entries = arena_ptrs(a, json_object_object_length(obj));
	if (!entries)
		return NULL;
	json_object_object_foreach(obj, key, val) {
		struct u64_entry *e = record__msg(a, desc);

		if (!e)
			break;
		e->key = key;
		e->value = json_object_get_uint64(val);
		entries[i++] = e;
	}
	*n = i;
	return entries;
}

static int agent_status(struct record *a, struct json_object *r, Hostmon__V1__Envelope *env)
{
	Hostmon__V1__AgentStatus *m = record__msg(a, &hostmon__v1__agent_status__descriptor);
	struct json_object *probes = jget(r, "probes");
	size_t i = 0;

	if (!m)
		return -ENOMEM;
	m->state = JENUM(r, "state", state_names);
	m->previous_state = JENUM(r, "previous_state", state_names);
	m->reason = jstr(r, "reason");
	if (json_object_is_type(probes, json_type_object) && json_object_object_length(probes)) {
		m->probes = arena_ptrs(a, json_object_object_length(probes));
		if (!m->probes)
			return -ENOMEM;
		json_object_object_foreach(probes, family, st) {
			Hostmon__V1__AgentStatus__ProbesEntry *e =
				record__msg(a, &hostmon__v1__agent_status__probes_entry__descriptor);
			Hostmon__V1__ProbeStatus *ps = record__msg(a, &hostmon__v1__probe_status__descriptor);

			if (!e || !ps)
				return -ENOMEM;
			ps->state = jstr(st, "state");
			ps->error = jstr(st, "error");
			e->key = family;
			e->value = ps;
			m->probes[i++] = e;
		}
		m->n_probes = i;
	}
	env->event_case = HOSTMON__V1__ENVELOPE__EVENT_AGENT_STATUS;
	env->agent_status = m;
	return 0;
}

static Hostmon__V1__SyscallWindow *syscall_window(struct record *a, struct json_object *o)
{
	Hostmon__V1__SyscallWindow *m = record__msg(a, &hostmon__v1__syscall_window__descriptor);
	struct json_object *buckets = jget(o, "buckets");

	if (!m)
		return NULL;
	m->syscall = jstr(o, "syscall");
	m->nr = ju64(o, "nr");
	m->calls = ju64(o, "calls");
	m->errors = ju64(o, "errors");
	m->p50_ns = ju64(o, "p50_ns");
	m->p95_ns = ju64(o, "p95_ns");
	m->p99_ns = ju64(o, "p99_ns");
	m->max_ns = ju64(o, "max_ns");
	m->sum_ns = ju64(o, "sum_ns");
	m->errnos = u64_map(a, jget(o, "errnos"),
			    &hostmon__v1__syscall_window__errnos_entry__descriptor, &m->n_errnos);
	if (json_object_is_type(buckets, json_type_array) && json_object_array_length(buckets)) {
		m->n_buckets = json_object_array_length(buckets);
		m->buckets = record__alloc(a, m->n_buckets * sizeof(*m->buckets));
		for (size_t i = 0; m->buckets && i < m->n_buckets; i++)
			m->buckets[i] = json_object_get_uint64(json_object_array_get_idx(buckets, i));
	}
	return m;
}

static Hostmon__V1__ConnStats *conn_stats(struct record *a, struct json_object *o)
{
	Hostmon__V1__ConnStats *m = record__msg(a, &hostmon__v1__conn_stats__descriptor);
	Hostmon__V1__ConnFailures *f = record__msg(a, &hostmon__v1__conn_failures__descriptor);
	struct json_object *fo = jget(o, "failures");

	if (!m || !f)
		return NULL;
	m->attempts = ju64(o, "attempts");
	m->established = ju64(o, "established");
	m->retransmits = ju64(o, "retransmits");
	m->resets = ju64(o, "resets");
	m->errors = ju64(o, "errors");
	f->refused = ju64(fo, "refused");
	f->timeout = ju64(fo, "timeout");
	f->unreachable = ju64(fo, "unreachable");
	f->reset_received = ju64(fo, "reset_received");
	f->reset_sent = ju64(fo, "reset_sent");
	f->error = ju64(fo, "error");
	m->failures = f;
	return m;
}

static Hostmon__V1__Endpoint *endpoint(struct record *a, struct json_object *o)
{
	Hostmon__V1__Endpoint *m = record__msg(a, &hostmon__v1__endpoint__descriptor);

	if (!m)
		return NULL;
	m->endpoint = jstr(o, "endpoint");
	m->address = jstr(o, "address");
	m->port = ju64(o, "port");
	m->protocol = JENUM(o, "protocol", protocol_names);
	m->direction = JENUM(o, "direction", direction_names);
	m->stats = conn_stats(a, o);
	m->connect_p50_ns = ju64(o, "connect_p50_ns");
	m->connect_p95_ns = ju64(o, "connect_p95_ns");
	m->connect_p99_ns = ju64(o, "connect_p99_ns");
	return m;
}

static Hostmon__V1__Connections *connections(struct record *a, struct json_object *o)
{
	Hostmon__V1__Connections *m;
	struct json_object *eps = jget(o, "endpoints");

	if (!o)
		return NULL;
	m = record__msg(a, &hostmon__v1__connections__descriptor);
	if (!m)
		return NULL;
	if (json_object_is_type(eps, json_type_array) && json_object_array_length(eps)) {
		m->n_endpoints = json_object_array_length(eps);
		m->endpoints = arena_ptrs(a, m->n_endpoints);
		for (size_t i = 0; m->endpoints && i < m->n_endpoints; i++)
			m->endpoints[i] = endpoint(a, json_object_array_get_idx(eps, i));
	}
	m->other_endpoints = ju64(jget(o, "other"), "endpoints");
	m->other = conn_stats(a, jget(o, "other"));
	m->total = conn_stats(a, jget(o, "total"));
	return m;
}

/* A map<string, Message> entry, and a message whose one field is a map<string, uint64>. */
struct msg_entry {
	/* cppcheck-suppress unusedStructMember ; protobuf-c's init fills it */
	ProtobufCMessage base;
	char *key;
	void *value;
};

struct counts_msg {
	/* cppcheck-suppress unusedStructMember ; protobuf-c's init fills it */
	ProtobufCMessage base;
	size_t n;
	void *entries;
};

/*
 * A JSON object of objects of counts ({family: {reason: n}}) as an array of
 * entry_desc's map entries, each value a value_desc message holding the
 * counts as inner_desc's entries; *n gets its length.
 */
static void *counts_map(struct record *a, struct json_object *obj,
			const ProtobufCMessageDescriptor *entry_desc,
			const ProtobufCMessageDescriptor *value_desc,
			const ProtobufCMessageDescriptor *inner_desc, size_t *n)
{
	struct msg_entry **entries;
	size_t i = 0;

	*n = 0;
	if (!json_object_is_type(obj, json_type_object) || !json_object_object_length(obj))
		return NULL;
	entries = arena_ptrs(a, json_object_object_length(obj));
	if (!entries)
		return NULL;
	json_object_object_foreach(obj, key, counts) {
		struct msg_entry *e = record__msg(a, entry_desc);
		struct counts_msg *c = record__msg(a, value_desc);

		if (!e || !c)
			break;
		c->entries = u64_map(a, counts, inner_desc, &c->n);
		e->key = key;
		e->value = c;
		entries[i++] = e;
	}
	*n = i;
	return entries;
}

static Hostmon__V1__LogCounts *log_counts(struct record *a, struct json_object *o)
{
	Hostmon__V1__LogCounts *m;

	if (!o || !(m = record__msg(a, &hostmon__v1__log_counts__descriptor)))
		return NULL;
	m->errors = ju64(o, "errors");
	m->warnings = ju64(o, "warnings");
	m->suppressed = ju64(o, "suppressed");
	m->by_code = u64_map(a, jget(o, "by_code"), &hostmon__v1__log_counts__by_code_entry__descriptor,
			     &m->n_by_code);
	return m;
}

static Hostmon__V1__PidCache *pid_cache(struct record *a, struct json_object *o)
{
	Hostmon__V1__PidCache *m;

	if (!o || !(m = record__msg(a, &hostmon__v1__pid_cache__descriptor)))
		return NULL;
	m->hits = ju64(o, "hits");
	m->misses = ju64(o, "misses");
	m->gone = ju64(o, "gone");
	m->failed = ju64(o, "failed");
	m->evictions = ju64(o, "evictions");
	m->entries = ju64(o, "entries");
	m->capacity = ju64(o, "capacity");
	m->hit_ratio = json_object_get_double(jget(o, "hit_ratio"));
	return m;
}

static Hostmon__V1__AgentSelf *agent_self(struct record *a, struct json_object *o)
{
	Hostmon__V1__AgentSelf *m;

	if (!o || !(m = record__msg(a, &hostmon__v1__agent_self__descriptor)))
		return NULL;
	m->cpu_percent = json_object_get_double(jget(o, "cpu_percent"));
	m->rss_kb = ju64(o, "rss_kb");
	m->ring_fill_max = json_object_get_double(jget(o, "ring_fill_max"));
	m->shed_level = jstr(o, "shed_level");
	m->log = log_counts(a, jget(o, "log"));
	m->pid_cache = pid_cache(a, jget(o, "pid_cache"));
	m->max_rss_kb = ju64(o, "max_rss_kb");
	m->memory_shrinks = ju64(o, "memory_shrinks");
	m->events_in = u64_map(a, jget(o, "events_in"),
			       &hostmon__v1__agent_self__events_in_entry__descriptor, &m->n_events_in);
	m->events_out = counts_map(a, jget(o, "events_out"),
				   &hostmon__v1__agent_self__events_out_entry__descriptor,
				   &hostmon__v1__event_counts__descriptor,
				   &hostmon__v1__event_counts__by_kind_entry__descriptor, &m->n_events_out);
	return m;
}

static Hostmon__V1__DeliveryLatency *delivery_latency(struct record *a, struct json_object *o)
{
	Hostmon__V1__DeliveryLatency *m;

	if (!o || !(m = record__msg(a, &hostmon__v1__delivery_latency__descriptor)))
		return NULL;
	m->count = ju64(o, "count");
	m->p50_ns = ju64(o, "p50_ns");
	m->p95_ns = ju64(o, "p95_ns");
	m->p99_ns = ju64(o, "p99_ns");
	m->max_ns = ju64(o, "max_ns");
	return m;
}

static Hostmon__V1__KafkaSink *kafka_sink_msg(struct record *a, struct json_object *o)
{
	Hostmon__V1__KafkaSink *m;

	if (!o || !(m = record__msg(a, &hostmon__v1__kafka_sink__descriptor)))
		return NULL;
	m->state = jstr(o, "state");
	m->last_error = jstr(o, "last_error");
	m->last_error_ns = ju64(o, "last_error_ns");
	m->delivered = ju64(o, "delivered");
	m->delivered_seq = ju64(o, "delivered_seq");
	m->lost = ju64(o, "lost");
	m->retries = ju64(o, "retries");
	m->request_timeouts = ju64(o, "request_timeouts");
	m->producers_recreated = ju64(o, "producers_recreated");
	m->queue_depth = ju64(o, "queue_depth");
	m->queue_bytes = ju64(o, "queue_bytes");
	m->connected_brokers = ju64(o, "connected_brokers");
	m->spool_records = ju64(o, "spool_records");
	m->spool_bytes = ju64(o, "spool_bytes");
	m->spool_oldest_age_ns = ju64(o, "spool_oldest_age_ns");
	m->delivery_latency = delivery_latency(a, jget(o, "delivery_latency"));
	return m;
}

static int metrics(struct record *a, struct json_object *r, Hostmon__V1__Envelope *env)
{
	Hostmon__V1__MetricsWindow *m = record__msg(a, &hostmon__v1__metrics_window__descriptor);
	Hostmon__V1__Crashes *c = record__msg(a, &hostmon__v1__crashes__descriptor);
	struct json_object *scs = jget(r, "syscalls"), *co = jget(r, "crashes");

	if (!m || !c)
		return -ENOMEM;
	m->window_start_ns = ju64(r, "window_start_ns");
	m->window_ns = ju64(r, "window_ns");
	m->state = JENUM(r, "state", state_names);
	if (json_object_is_type(scs, json_type_array) && json_object_array_length(scs)) {
		m->n_syscalls = json_object_array_length(scs);
		m->syscalls = arena_ptrs(a, m->n_syscalls);
		for (size_t i = 0; m->syscalls && i < m->n_syscalls; i++)
			m->syscalls[i] = syscall_window(a, json_object_array_get_idx(scs, i));
	}
	m->connections = connections(a, jget(r, "connections"));
	c->total = ju64(co, "total");
	c->by_signal = u64_map(a, jget(co, "by_signal"),
			       &hostmon__v1__crashes__by_signal_entry__descriptor, &c->n_by_signal);
	m->crashes = co ? c : NULL;
	m->oom_kills = ju64(r, "oom_kills");
	m->exits_nonzero = u64_map(a, jget(r, "exits_nonzero"),
				   &hostmon__v1__metrics_window__exits_nonzero_entry__descriptor,
				   &m->n_exits_nonzero);
	m->drops = counts_map(a, jget(r, "drops"), &hostmon__v1__metrics_window__drops_entry__descriptor,
			      &hostmon__v1__drop_counters__descriptor,
			      &hostmon__v1__drop_counters__reasons_entry__descriptor, &m->n_drops);
	m->self = agent_self(a, jget(r, "self"));
	m->kafka = kafka_sink_msg(a, jget(r, "kafka"));
	m->n_bucket_le_ns = SYSCALLS_LE_COUNT;
	m->bucket_le_ns = (uint64_t *)syscalls_le_ns;
	env->event_case = HOSTMON__V1__ENVELOPE__EVENT_METRICS;
	env->metrics = m;
	return 0;
}

int envelope_fill(struct json_object *tree, struct record *rec)
{
	Hostmon__V1__Envelope *env = &rec->env;
	int err;

	rec->seq = ju64(tree, "seq");
	rec->ts_ns = ju64(tree, "ts_ns");
	env->host_id = jstr(tree, "host_id");
	env->boot_id = jstr(tree, "boot_id");
	env->seq = rec->seq;
	env->ts_ns = rec->ts_ns;
	if (rec->kind == FLOW_METRICS)
		err = metrics(rec, tree, env);
	else if (rec->kind == FLOW_AGENT_STATUS)
		err = agent_status(rec, tree, env);
	else
		err = -EINVAL;
	if (!err && rec->arena.failed)
		err = -ENOMEM;
	if (err)
		rec->arena.failed = 1;
	return err;
}

static const char *event_type(Hostmon__V1__Envelope__EventCase c)
{
	switch (c) {
	case HOSTMON__V1__ENVELOPE__EVENT_METRICS:
		return "metrics";
	case HOSTMON__V1__ENVELOPE__EVENT_SLOW_SYSCALL:
		return "slow_syscall";
	case HOSTMON__V1__ENVELOPE__EVENT_CONN_ERROR:
		return "conn_error";
	case HOSTMON__V1__ENVELOPE__EVENT_PROCESS_CRASH:
		return "process_crash";
	case HOSTMON__V1__ENVELOPE__EVENT_OOM_KILL:
		return "oom_kill";
	case HOSTMON__V1__ENVELOPE__EVENT_AGENT_STATUS:
		return "agent_status";
	default:
		return "";
	}
}

int envelope_head(const uint8_t *buf, size_t len, struct envelope_head *h)
{
	Hostmon__V1__Envelope *env = hostmon__v1__envelope__unpack(NULL, len, buf);

	if (!env)
		return -EINVAL;
	snprintf(h->instance_id, sizeof(h->instance_id), "%s", env->instance_id ? env->instance_id : "");
	h->seq = env->seq;
	h->ts_ns = env->ts_ns;
	h->type = event_type(env->event_case);
	hostmon__v1__envelope__free_unpacked(env, NULL);
	return 0;
}

int envelope_instance_id(char out[37])
{
	uint8_t b[16];
	ssize_t n = getrandom(b, sizeof(b), 0);

	if (n < 0)
		return -errno;
	if (n != sizeof(b))
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}
