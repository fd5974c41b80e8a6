/* Connection error family: loads net.bpf.c, emits conn_error records and per-endpoint RED. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/histogram.h"
#include "bpf/net.h"
#include "net.skel.h"
#include "counters.h"
#include "encode.h"
#include "exemap.h"
#include "hist.h"
#include "log.h"
#include "names.h"
#include "pidcache.h"
#include "pipeline.h"
#include "net.h"

/* One (endpoint, counter) that moved this window. */
struct ep_delta {
	struct net_ep_key key;
	uint64_t delta;
};

/* One endpoint of the window: its counters and its run of ep_delta entries. */
struct ep_row {
	const struct net_ep_key *key;
	uint64_t stat[NET_STAT_MAX];
	size_t first, n;
};

struct net {
	struct net_bpf *skel;
	struct family_ring *ring;
	struct pipeline *out;
	struct pidcache *procs;		/* not owned; NULL: no exe, cgroup, container id */
	int ncpu;
	uint64_t *percpu;		/* one u64 per possible CPU */
	uint32_t top_n;
	struct counters *ep_prev;	/* keyed by struct net_ep_key */
	uint64_t totals_prev[NET_TOTALS];
	/* Since start, for "other": totals, what listed rows showed, what other showed. */
	uint64_t cum_total[NET_STAT_MAX], cum_listed[NET_STAT_MAX], cum_other[NET_STAT_MAX];
	uint64_t drops_prev[NET_DROP_MAX];
	uint64_t evicted_prev;
	uint64_t read_errors;
	/* Window scratch, grown up to the endpoint map's size and reused. */
	struct ep_delta *deltas;
	struct ep_row *rows;
	size_t ndeltas, nrows, cap;
	uint64_t counts[HIST_BUCKETS];
};

static const char *const kind_names[NET_KIND_MAX] = {
	[NET_KIND_REFUSED] = "refused",
	[NET_KIND_TIMEOUT] = "timeout",
	[NET_KIND_UNREACHABLE] = "unreachable",
	[NET_KIND_RESET_RECEIVED] = "reset_received",
	[NET_KIND_RESET_SENT] = "reset_sent",
	[NET_KIND_ERROR] = "error",
};

static const char *const drop_names[NET_DROP_MAX] = {
	[NET_DROP_EVENT] = "conn_error",
	[NET_DROP_SUPPRESSED] = "suppressed",
	[NET_DROP_SOCK_MAP] = "sock_map",
	[NET_DROP_EP_MAP] = "endpoint_map",
	[NET_DROP_SHED] = "shed",
	[NET_DROP_EXE_MAP] = "exe_map",
};

static const char *protocol_name(unsigned int protocol)
{
	return protocol == IPPROTO_TCP ? "tcp" : protocol == IPPROTO_UDP ? "udp" : "other";
}

static void record_addr(struct json_object *rec, const char *key, unsigned int family,
			const uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, sizeof(buf)))
		buf[0] = 0;
	record_str(rec, key, buf);
}

static void emit_conn_error(struct net *nt, const struct net_event *e)
{
	struct json_object *rec = pipeline__event(nt->out, FLOW_CONN_ERROR, e->ts_ns);
	struct pidcache_key key = { .pid = e->pid, .start_ns = e->start_ns, .exec_id = e->exec_id };

	if (!rec)
		return;
	record_u64(rec, "pid", e->pid);
	json_object_object_add(rec, "comm", encode_bytes(e->comm, sizeof(e->comm)));
	pidcache__add_fields(nt->procs, &key, rec);
	record_str(rec, "protocol", protocol_name(e->protocol));
	record_str(rec, "family", e->family == AF_INET6 ? "ipv6" : "ipv4");
	record_addr(rec, "saddr", e->family, e->saddr);
	record_u64(rec, "sport", e->sport);
	record_addr(rec, "daddr", e->family, e->daddr);
	record_u64(rec, "dport", e->dport);
	record_i64(rec, "errno", e->err);
	if (e->err)
		record_str(rec, "error", names_errno(e->err));
	else
		json_object_object_add(rec, "error", NULL);
	record_str(rec, "kind", e->kind < NET_KIND_MAX ? kind_names[e->kind] : "error");
	json_object_object_add(rec, "connect", json_object_new_boolean(e->connect));
	if (e->connect)
		record_u64(rec, "duration_ns", e->duration_ns);
	pipeline__emit(nt->out, rec);
}

static int handle_event(void *ctx, void *data, size_t len)
{
	struct net *nt = ctx;

	if (len < sizeof(struct net_event))
		return 0;
	emit_conn_error(nt, data);
	return 0;
}

static int load_and_attach(struct net *nt, const struct config *cfg, const struct exemap *exe,
			   char *err, size_t errlen)
{
	int ret;

	nt->skel->rodata->events_per_sec = cfg->net_events_per_sec;
	nt->skel->rodata->self_tgid = family_self_tgid(cfg->trace_self);
	nt->skel->rodata->wakeup_bytes = family_wakeup_bytes(cfg->ringbuf_bytes, cfg->ring_flush_ms);
	ret = bpf_map__set_max_entries(nt->skel->maps.socks, cfg->net_sock_entries);
	if (!ret)
		ret = bpf_map__set_max_entries(nt->skel->maps.endpoints, cfg->net_endpoint_entries);
	if (ret) {
		snprintf(err, errlen, "map sizes: %s", strerror(-ret));
		return ret;
	}
	ret = exemap__share(exe, nt->skel->maps.exe_paths, err, errlen);
	if (!ret)
		ret = family_need_tracefs(err, errlen);
	if (ret)
		return ret;
	return family_start(nt->skel->skeleton, nt->skel->maps.events, cfg->ringbuf_bytes,
			    handle_event, nt, &nt->ring, err, errlen);
}

struct net *net__open(const struct config *cfg, struct pipeline *out,
		      const struct exemap *exe, struct family_status *status)
{
	struct net *nt = calloc(1, sizeof(*nt));
	int ret = -ENOMEM;

	status->state = FAMILY_FAILED;
	if (!nt)
		goto fail;
	nt->out = out;
	nt->top_n = cfg->net_top_endpoints;
	nt->ncpu = libbpf_num_possible_cpus();
	nt->percpu = calloc(nt->ncpu > 0 ? nt->ncpu : 1, sizeof(uint64_t));
	nt->ep_prev = counters__new(sizeof(struct net_ep_key));
	if (nt->ncpu <= 0 || !nt->percpu || !nt->ep_prev)
		goto fail;
	nt->skel = net_bpf__open();
	if (!nt->skel) {
		ret = -errno;
		snprintf(status->error, sizeof(status->error), "open failed: %s", strerror(-ret));
		goto fail;
	}
	ret = load_and_attach(nt, cfg, exe, status->error, sizeof(status->error));
	if (ret)
		goto fail;
	status->state = FAMILY_ATTACHED;
	return nt;
fail:
	if (!status->error[0])
		snprintf(status->error, sizeof(status->error), "%s", strerror(-ret));
	net__free(nt);
	return NULL;
}

void net__free(struct net *nt)
{
	if (!nt)
		return;
	family_ring__free(nt->ring);
	net_bpf__destroy(nt->skel);
	counters__free(nt->ep_prev);
	free(nt->deltas);
	free(nt->rows);
	free(nt->percpu);
	free(nt);
}

int net__epoll_fd(const struct net *nt)
{
	return family_ring__epoll_fd(nt->ring);
}

int net__events_fd(const struct net *nt)
{
	return bpf_map__fd(nt->skel->maps.events);
}

void net__set_pidcache(struct net *nt, struct pidcache *procs)
{
	nt->procs = procs;
}

void net__shed(struct net *nt, bool on)
{
	__atomic_store_n(&nt->skel->bss->shed, on, __ATOMIC_RELAXED);
}

int net__poll(struct net *nt)
{
	return family_ring__consume(nt->ring);
}

/* Sum over CPUs of one per-CPU u64 array element; 0 (counted) when it cannot be read. */
static uint64_t read_percpu_u64(struct net *nt, struct bpf_map *map, uint32_t index)
{
	uint64_t sum;

	if (counters_read_percpu(bpf_map__fd(map), &index, nt->percpu, nt->ncpu, &sum))
		nt->read_errors++;
	return sum;
}

static int push_delta(struct net *nt, const struct net_ep_key *key, uint64_t delta)
{
	size_t cap = nt->cap * 2 + 256;
	void *d, *r;

	if (nt->ndeltas == nt->cap) {
		d = realloc(nt->deltas, cap * sizeof(*nt->deltas));
		if (d)
			nt->deltas = d;
		r = realloc(nt->rows, cap * sizeof(*nt->rows));
		if (r)
			nt->rows = r;
		if (!d || !r)
			return -ENOMEM;
		nt->cap = cap;
	}
	nt->deltas[nt->ndeltas++] = (struct ep_delta){ .key = *key, .delta = delta };
	return 0;
}

/* Reads every (endpoint, counter) of the kernel map into nt->deltas; returns the keys present. */
static uint64_t read_endpoints(struct net *nt)
{
	int fd = bpf_map__fd(nt->skel->maps.endpoints);
	struct net_ep_key key, next, *cur = NULL;
	uint64_t value, delta, present = 0;

	nt->ndeltas = 0;
	while (bpf_map_get_next_key(fd, cur, &next) == 0) {
		key = next;
		cur = &key;
		if (bpf_map_lookup_elem(fd, &key, &value))
			continue;	/* evicted meanwhile */
		present++;
		delta = counters__delta(nt->ep_prev, &key, value);
		if (delta && push_delta(nt, &key, delta))
			nt->read_errors++;
	}
	counters__sweep(nt->ep_prev);
	return present;
}

/* Orders by endpoint (the key without its counter slot), then by counter. */
static int cmp_delta(const void *a, const void *b)
{
	const struct ep_delta *x = a, *y = b;
	int c = memcmp(&x->key, &y->key, offsetof(struct net_ep_key, stat));

	if (c)
		return c;
	return x->key.stat < y->key.stat ? -1 : x->key.stat > y->key.stat;
}

/* Most attempts first, then most failures. */
static int cmp_row(const void *a, const void *b)
{
	const struct ep_row *x = a, *y = b;
	uint64_t fx = 0, fy = 0;

	if (x->stat[NET_STAT_ATTEMPTS] != y->stat[NET_STAT_ATTEMPTS])
		return x->stat[NET_STAT_ATTEMPTS] > y->stat[NET_STAT_ATTEMPTS] ? -1 : 1;
	for (int k = 0; k < NET_KIND_MAX; k++) {
		fx += x->stat[NET_STAT_FAILURES + k];
		fy += y->stat[NET_STAT_FAILURES + k];
	}
	return fx > fy ? -1 : fx < fy;
}

/* Groups the sorted deltas into one row per endpoint. */
static void group_rows(struct net *nt)
{
	struct ep_row *row = NULL;

	nt->nrows = 0;
	/* A window without endpoints may come before any array exists: qsort must not get NULL. */
	if (!nt->ndeltas)
		return;
	qsort(nt->deltas, nt->ndeltas, sizeof(*nt->deltas), cmp_delta);
	for (size_t i = 0; i < nt->ndeltas; i++) {
		const struct ep_delta *d = &nt->deltas[i];

		if (!row || memcmp(row->key, &d->key, offsetof(struct net_ep_key, stat))) {
			row = &nt->rows[nt->nrows++];
			*row = (struct ep_row){ .key = &d->key, .first = i };
		}
		row->n++;
		if (d->key.stat < NET_STAT_MAX)
			row->stat[d->key.stat] += d->delta;
	}
	qsort(nt->rows, nt->nrows, sizeof(*nt->rows), cmp_row);
}

/* Adds the counters of stat[] to o: attempts, established, retransmits, failures by kind. */
static void record_stats(struct json_object *o, const uint64_t *stat)
{
	struct json_object *failures = json_object_new_object();
	uint64_t total = 0;

	record_u64(o, "attempts", stat[NET_STAT_ATTEMPTS]);
	record_u64(o, "established", stat[NET_STAT_ESTABLISHED]);
	record_u64(o, "retransmits", stat[NET_STAT_RETRANSMITS]);
	record_u64(o, "resets", stat[NET_STAT_FAILURES + NET_KIND_RESET_RECEIVED] +
				stat[NET_STAT_FAILURES + NET_KIND_RESET_SENT]);
	for (int k = 0; k < NET_KIND_MAX; k++) {
		record_u64(failures, kind_names[k], stat[NET_STAT_FAILURES + k]);
		total += stat[NET_STAT_FAILURES + k];
	}
	record_u64(o, "errors", total);
	json_object_object_add(o, "failures", failures);
}

static void record_latency(struct net *nt, struct json_object *o, const struct ep_row *row)
{
	uint64_t total = 0;

	memset(nt->counts, 0, sizeof(nt->counts));
	for (size_t i = row->first; i < row->first + row->n; i++) {
		uint32_t stat = nt->deltas[i].key.stat;

		if (stat >= NET_STAT_LATENCY && stat < NET_STAT_LATENCY + HIST_BUCKETS) {
			nt->counts[stat - NET_STAT_LATENCY] += nt->deltas[i].delta;
			total += nt->deltas[i].delta;
		}
	}
	record_u64(o, "connect_p50_ns", hist_quantile(nt->counts, total, 5000, 0));
	record_u64(o, "connect_p95_ns", hist_quantile(nt->counts, total, 9500, 0));
	record_u64(o, "connect_p99_ns", hist_quantile(nt->counts, total, 9900, 0));
}

static struct json_object *endpoint_json(struct net *nt, const struct ep_row *row)
{
	const struct net_ep_key *k = row->key;
	struct json_object *o = json_object_new_object();
	char addr[INET6_ADDRSTRLEN] = "", ep[INET6_ADDRSTRLEN + 16];

	inet_ntop(k->family == AF_INET6 ? AF_INET6 : AF_INET, k->addr, addr, sizeof(addr));
	snprintf(ep, sizeof(ep), k->family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, k->port);
	record_str(o, "endpoint", ep);
	record_str(o, "address", addr);
	record_u64(o, "port", k->port);
	record_str(o, "protocol", protocol_name(k->protocol));
	record_str(o, "direction", k->dir == NET_DIR_IN ? "in" : "out");
	record_stats(o, row->stat);
	record_latency(nt, o, row);
	return o;
}

/* The window's exact totals, from the per-CPU totals array. */
static void window_totals(struct net *nt, uint64_t *total, uint64_t *inserts)
{
	uint64_t now;

	for (uint32_t i = 0; i < NET_TOTALS; i++) {
		now = read_percpu_u64(nt, nt->skel->maps.totals, i);
		if (i < NET_STAT_MAX)
			total[i] = now - nt->totals_prev[i];
		else
			*inserts = now;
		nt->totals_prev[i] = now;
	}
}

static void window_connections(struct net *nt, struct json_object *metrics, uint64_t *evicted)
{
	struct json_object *conns = json_object_new_object(), *arr = json_object_new_array();
	struct json_object *other = json_object_new_object(), *tot = json_object_new_object();
	uint64_t total[NET_STAT_MAX], rest[NET_STAT_MAX], inserts = 0, present;
	size_t top;

	present = read_endpoints(nt);
	window_totals(nt, total, &inserts);
	*evicted = inserts > present ? inserts - present : 0;
	group_rows(nt);
	top = nt->nrows < nt->top_n ? nt->nrows : nt->top_n;
	for (size_t r = 0; r < top; r++) {
		json_object_array_add(arr, endpoint_json(nt, &nt->rows[r]));
		for (int s = 0; s < NET_STAT_MAX; s++)
			nt->cum_listed[s] += nt->rows[r].stat[s];
	}
	/*
	 * The endpoint map and the totals are read one after the other: a count
	 * landing between the two reads is in one window's totals and the next
	 * window's endpoint. Other is what the totals have that listed rows have
	 * not shown yet, since start, so listed + other always sums to the totals.
	 */
	for (int s = 0; s < NET_STAT_MAX; s++) {
		nt->cum_total[s] += total[s];
		rest[s] = nt->cum_total[s] > nt->cum_listed[s] + nt->cum_other[s] ?
			  nt->cum_total[s] - nt->cum_listed[s] - nt->cum_other[s] : 0;
		nt->cum_other[s] += rest[s];
	}
	record_u64(other, "endpoints", nt->nrows - top);
	record_stats(other, rest);
	record_stats(tot, total);
	json_object_object_add(conns, "endpoints", arr);
	json_object_object_add(conns, "other", other);
	json_object_object_add(conns, "total", tot);
	json_object_object_add(metrics, "connections", conns);
}

int net__window(struct net *nt, struct json_object *metrics, struct json_object *drops)
{
	struct json_object *o = json_object_new_object();
	uint64_t now, evicted;

	window_connections(nt, metrics, &evicted);
	for (uint32_t i = 0; i < NET_DROP_MAX; i++) {
		now = read_percpu_u64(nt, nt->skel->maps.drops, i);
		record_u64(o, drop_names[i], now - nt->drops_prev[i]);
		nt->drops_prev[i] = now;
	}
	/* Keys created minus keys present only grows, but is read while the kernel writes. */
	record_u64(o, "endpoint_evictions",
		   evicted > nt->evicted_prev ? evicted - nt->evicted_prev : 0);
	if (evicted > nt->evicted_prev)
		nt->evicted_prev = evicted;
	record_u64(o, "map_read_errors", nt->read_errors + counters__errors(nt->ep_prev));
	json_object_object_add(drops, "net", o);
	return 0;
}
