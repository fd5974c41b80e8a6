/* Connection error family: loads net.bpf.c, emits conn_error records and per-endpoint RED. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/histogram.h"
#include "bpf/net.h"
#include "net.skel.h"
#include "config/config.h"
#include "probes/counters.h"
#include "core/encode.h"
#include "probes/exemap.h"
#include "record/hist.h"
#include "probes/kfeatures.h"
#include "core/log.h"
#include "core/names.h"
#include "probes/pidcache.h"
#include "sinks/pipeline.h"
#include "probes/net_family.h"
#include "probes/workloads.h"

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
	struct bpf_link *fallback[4];	/* the syscalls: tracepoints, when attached */
	bool udp_errors;		/* the kernel has the inet_sk_error_report tracepoint */
	uint32_t *shed;			/* net_shed's value, mapped */
	size_t shed_len;
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

static const char *const drop_names[NET_DROP_MAX] = {
	[NET_DROP_EVENT] = "conn_error",
	[NET_DROP_SUPPRESSED] = "suppressed",
	[NET_DROP_SOCK_MAP] = "sock_map",
	[NET_DROP_EP_MAP] = "endpoint_map",
	[NET_DROP_SHED] = "shed",
	[NET_DROP_EXE_MAP] = "exe_map",
	[NET_DROP_CG_MAP] = "cgroup_map",
};

/* The .proto's kinds, by the kernel side's NET_KIND_*. */
static const Hostmon__V1__ConnErrorKind conn_kinds[NET_KIND_MAX] = {
	[NET_KIND_REFUSED] = HOSTMON__V1__CONN_ERROR_KIND__CONN_ERROR_KIND_REFUSED,
	[NET_KIND_TIMEOUT] = HOSTMON__V1__CONN_ERROR_KIND__CONN_ERROR_KIND_TIMEOUT,
	[NET_KIND_UNREACHABLE] = HOSTMON__V1__CONN_ERROR_KIND__CONN_ERROR_KIND_UNREACHABLE,
	[NET_KIND_RESET_RECEIVED] = HOSTMON__V1__CONN_ERROR_KIND__CONN_ERROR_KIND_RESET_RECEIVED,
	[NET_KIND_RESET_SENT] = HOSTMON__V1__CONN_ERROR_KIND__CONN_ERROR_KIND_RESET_SENT,
	[NET_KIND_ERROR] = HOSTMON__V1__CONN_ERROR_KIND__CONN_ERROR_KIND_ERROR,
};

static Hostmon__V1__Protocol proto_protocol(unsigned int protocol)
{
	return protocol == IPPROTO_TCP ? HOSTMON__V1__PROTOCOL__PROTOCOL_TCP :
	       protocol == IPPROTO_UDP ? HOSTMON__V1__PROTOCOL__PROTOCOL_UDP :
					 HOSTMON__V1__PROTOCOL__PROTOCOL_UNSPECIFIED;
}

/* An address as text in rec's arena. */
static char *addr_text(struct record *rec, unsigned int family, const uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, sizeof(buf)))
		buf[0] = 0;
	return record__strdup(rec, buf);
}

static void emit_conn_error(struct net *nt, const struct net_event *e)
{
	struct record *rec = pipeline__event(nt->out, FLOW_CONN_ERROR, e->ts_ns);
	struct pidcache_key key = { .pid = e->pid, .start_ns = e->start_ns, .exec_id = e->exec_id };
	Hostmon__V1__ConnError *m = &rec->ev.conn_error;

	m->pid = e->pid;
	m->comm = record__text(rec, e->comm, sizeof(e->comm));
	family_proc_meta(nt->procs, &key, &m->exe, &m->cgroup, &m->container_id);
	m->protocol = proto_protocol(e->protocol);
	m->family = e->family == AF_INET6 ? HOSTMON__V1__ADDRESS_FAMILY__ADDRESS_FAMILY_IPV6 :
					    HOSTMON__V1__ADDRESS_FAMILY__ADDRESS_FAMILY_IPV4;
	m->saddr = addr_text(rec, e->family, e->saddr);
	m->sport = e->sport;
	m->daddr = addr_text(rec, e->family, e->daddr);
	m->dport = e->dport;
	m->errnum = e->err;
	if (e->err)
		m->error = (char *)names_errno(e->err);
	m->kind = e->kind < NET_KIND_MAX ? conn_kinds[e->kind] : HOSTMON__V1__CONN_ERROR_KIND__CONN_ERROR_KIND_ERROR;
	m->connect = e->connect;
	m->duration_ns = e->connect ? e->duration_ns : 0;
	pipeline__send(nt->out, rec);
}

static int handle_event(void *ctx, void *data, size_t len)
{
	struct net *nt = ctx;

	if (len < sizeof(struct net_event))
		return 0;
	emit_conn_error(nt, data);
	return 0;
}

/* The shed flag, written with a store as a global would be (both objects read the map). */
static int map_shed(struct net *nt, char *err, size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;
	int ret;

	nt->shed_len = page > 0 ? (size_t)page : 4096;
	p = mmap(NULL, nt->shed_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(nt->skel->maps.net_shed), 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen, "shed flag: mmap: %s", strerror(-ret));
		return ret;
	}
	nt->shed = p;
	return 0;
}

/* The syscalls: tracepoint programs (bpf/net.bpf.c), attached by net__exits only when needed. */
static struct bpf_program *fallback_prog(const struct net *nt, int i)
{
	struct bpf_program *const progs[] = {
		nt->skel->progs.net_connect_enter, nt->skel->progs.net_connect_exit,
		nt->skel->progs.net_accept_exit, nt->skel->progs.net_accept4_exit,
	};

	return i < (int)(sizeof(progs) / sizeof(progs[0])) ? progs[i] : NULL;
}

static int load_and_attach(struct net *nt, const struct config *cfg, const struct exemap *exe,
			   char *err, size_t errlen)
{
	struct bpf_program *prog;
	bool retransmit_err;
	int ret;

	nt->skel->rodata->net_events_per_sec = cfg->net_events_per_sec;
	nt->skel->rodata->self_tgid = family_self_tgid(cfg->trace_self);
	nt->skel->rodata->wakeup_bytes = family_wakeup_bytes(cfg->ringbuf_bytes, cfg->ring_flush_ms);
	ret = bpf_map__set_max_entries(nt->skel->maps.socks, cfg->net_sock_entries);
	if (!ret)
		ret = bpf_map__set_max_entries(nt->skel->maps.endpoints, cfg->net_endpoint_entries);
	if (ret) {
		snprintf(err, errlen, "map sizes: %s", strerror(-ret));
		return ret;
	}
	/* Newer kernels pass tcp_retransmit_skb the retransmit's error; before, it fires on success only. */
	retransmit_err = family_tp_args("tcp_retransmit_skb") == 3 && !features_off("retransmit_err");
	bpf_program__set_autoload(nt->skel->progs.net_retransmit, retransmit_err);
	bpf_program__set_autoload(nt->skel->progs.net_retransmit_legacy, !retransmit_err);
	/* UDP errors need inet_sk_error_report (newer than 5.10); TCP ones come from state changes. */
	nt->udp_errors = family_tp_args("inet_sk_error_report") >= 0;
	bpf_program__set_autoload(nt->skel->progs.net_error_report, nt->udp_errors);
	/* Loaded with the rest: the syscall family may yet fail to load. */
	for (int i = 0; (prog = fallback_prog(nt, i)); i++)
		bpf_program__set_autoattach(prog, false);
	ret = exemap__share(exe, nt->skel->maps.exe_paths, err, errlen);
	if (!ret)
		ret = family_start(nt->skel->skeleton, nt->skel->maps.events, cfg->ringbuf_bytes,
				   handle_event, nt, &nt->ring, err, errlen);
	if (ret)
		return ret;
	return map_shed(nt, err, errlen);
}

static void nt_free(void *fam);

/* Its socket hooks are attached; who names the owners of connected and accepted sockets is settled by nt_settle. */
static void *nt_open(const struct family_ctx *ctx, struct family_status *status)
{
	const struct config *cfg = ctx->cfg;
	struct net *nt = calloc(1, sizeof(*nt));
	int ret = -ENOMEM;

	status->state = FAMILY_FAILED;
	if (!nt)
		goto fail;
	nt->out = ctx->out;
	nt->procs = ctx->procs;
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
	ret = load_and_attach(nt, cfg, ctx->exe, status->error, sizeof(status->error));
	if (ret)
		goto fail;
	status->state = FAMILY_ATTACHED;
	return nt;
fail:
	if (!status->error[0])
		snprintf(status->error, sizeof(status->error), "%s", strerror(-ret));
	nt_free(nt);
	return NULL;
}

static void nt_free(void *fam)
{
	struct net *nt = fam;

	if (!nt)
		return;
	family_ring__free(nt->ring);
	for (size_t i = 0; i < sizeof(nt->fallback) / sizeof(nt->fallback[0]); i++)
		bpf_link__destroy(nt->fallback[i]);
	if (nt->shed)
		munmap(nt->shed, nt->shed_len);
	net_bpf__destroy(nt->skel);
	counters__free(nt->ep_prev);
	free(nt->deltas);
	free(nt->rows);
	free(nt->percpu);
	free(nt);
}

static bool nt_enabled(const struct config *cfg)
{
	return cfg->net_enabled;
}

static int nt_epoll_fd(const void *fam)
{
	const struct net *nt = fam;

	return family_ring__epoll_fd(nt->ring);
}

/* Its map of connection failures by owner's cgroup. */
static void nt_set_workloads(void *fam, struct workloads *wl)
{
	struct net *nt = fam;

	workloads__set_net(wl, bpf_map__fd(nt->skel->maps.net_cg_failures));
}

static int nt_events_fd(const void *fam)
{
	const struct net *nt = fam;

	return bpf_map__fd(nt->skel->maps.events);
}

static const struct bpf_object *nt_object(const void *fam)
{
	const struct net *nt = fam;

	return nt->skel->obj;
}

static void nt_shed(void *fam, bool on)
{
	struct net *nt = fam;

	__atomic_store_n(nt->shed, on, __ATOMIC_RELAXED);
}

/* The net maps bpf/net_sys.bpf.h declares in the syscall family's object, by their names there. */
static const char *const sys_names[] = {
	"socks", "endpoints", "totals", "rate", "net_shed", "net_events", "net_drops",
	"net_cg_failures",
};

/* The net object's map behind sys_names[i]. */
static const struct bpf_map *sys_map(const struct net *nt, size_t i)
{
	const struct bpf_map *const maps[] = {
		nt->skel->maps.socks, nt->skel->maps.endpoints, nt->skel->maps.totals,
		nt->skel->maps.rate, nt->skel->maps.net_shed, nt->skel->maps.events,
		nt->skel->maps.drops, nt->skel->maps.net_cg_failures,
	};

	return maps[i];
}

bool net__shares_map(const char *name)
{
	for (size_t i = 0; i < sizeof(sys_names) / sizeof(sys_names[0]); i++)
		if (!strcmp(name, sys_names[i]))
			return true;
	return false;
}

int net__share(const struct net *nt, struct bpf_object *obj, char *err, size_t errlen)
{
	struct bpf_map *map;
	int ret = 0;

	for (size_t i = 0; !ret && i < sizeof(sys_names) / sizeof(sys_names[0]); i++) {
		map = bpf_object__find_map_by_name(obj, sys_names[i]);
		if (!map)
			ret = -ENOENT;
		else if (nt)
			ret = bpf_map__reuse_fd(map, bpf_map__fd(sys_map(nt, i)));
		else if (bpf_map__type(map) == BPF_MAP_TYPE_LRU_HASH)
			ret = bpf_map__set_max_entries(map, 1);
		if (ret)
			snprintf(err, errlen, "net map %s: %s", sys_names[i], strerror(-ret));
	}
	return ret;
}

/* The syscalls: tracepoints for connect() and accept(); they need tracefs. */
static int attach_fallback(struct net *nt, char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct bpf_link *link;
	int ret;

	ret = family_need_tracefs(err, errlen);
	for (int i = 0; !ret && (prog = fallback_prog(nt, i)); i++) {
		link = bpf_program__attach(prog);
		if (!link) {
			ret = -errno;
			snprintf(err, errlen, "attach %s failed: %s", bpf_program__name(prog),
				 strerror(-ret));
			break;
		}
		nt->fallback[i] = link;
	}
	return ret;
}

/*
 * Once the syscall family has loaded or not: NULL why says that it carries
 * connect() and accept() (net__share); otherwise why it cannot, and the
 * syscalls: tracepoints are attached instead (they need tracefs, and their
 * cost to every syscall is logged). Says which in status->path; -errno with
 * the family failed in status when the tracepoints cannot be attached.
 */
static int net_exits(struct net *nt, const char *why, struct family_status *status)
{
	const char *udp = nt->udp_errors ? "" : "; no UDP errors (this kernel has no inet_sk_error_report tracepoint)";
	char err[sizeof(status->error) - 64];
	int ret;

	if (!why) {
		snprintf(status->path, sizeof(status->path), "socket hooks + syscall family exits%s",
			 udp);
		return 0;
	}
	ret = attach_fallback(nt, err, sizeof(err));
	if (ret) {
		status->state = FAMILY_FAILED;
		snprintf(status->error, sizeof(status->error), "syscalls tracepoints (%s): %s", why,
			 err);
		return ret;
	}
	snprintf(status->path, sizeof(status->path), "socket hooks + syscalls tracepoints (%s)%s",
		 why, udp);
	log_info("net", "connect and accept owners from the syscalls: tracepoints (%s): every "
		 "syscall of every process pays for their dispatch", why);
	return 0;
}

/* Settled once the syscall family (which needs this one) has opened, failed or been left off. */
static int nt_settle(void *fam, const void *peer, const struct family_status *peer_status,
		     struct family_status *status)
{
	const char *why = peer ? NULL :
			  peer_status->state == FAMILY_FAILED ? "syscall family failed" :
								"syscall family off";

	return net_exits(fam, why, status);
}

static int nt_poll(void *fam)
{
	struct net *nt = fam;

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

/* The counters of stat[]: attempts, established, retransmits, failures by kind. */
static Hostmon__V1__ConnStats *conn_stats(struct record *rec, const uint64_t *stat)
{
	Hostmon__V1__ConnStats *o = record__msg(rec, &hostmon__v1__conn_stats__descriptor);
	Hostmon__V1__ConnFailures *f = record__msg(rec, &hostmon__v1__conn_failures__descriptor);
	const uint64_t *fail = stat + NET_STAT_FAILURES;

	if (!o || !f)
		return NULL;
	o->attempts = stat[NET_STAT_ATTEMPTS];
	o->established = stat[NET_STAT_ESTABLISHED];
	o->retransmits = stat[NET_STAT_RETRANSMITS];
	o->resets = fail[NET_KIND_RESET_RECEIVED] + fail[NET_KIND_RESET_SENT];
	f->refused = fail[NET_KIND_REFUSED];
	f->timeout = fail[NET_KIND_TIMEOUT];
	f->unreachable = fail[NET_KIND_UNREACHABLE];
	f->reset_received = fail[NET_KIND_RESET_RECEIVED];
	f->reset_sent = fail[NET_KIND_RESET_SENT];
	f->error = fail[NET_KIND_ERROR];
	for (int k = 0; k < NET_KIND_MAX; k++)
		o->errors += fail[k];
	o->failures = f;
	return o;
}

static void endpoint_latency(struct net *nt, Hostmon__V1__Endpoint *o, const struct ep_row *row)
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
	o->connect_p50_ns = hist_quantile(nt->counts, total, 5000, 0);
	o->connect_p95_ns = hist_quantile(nt->counts, total, 9500, 0);
	o->connect_p99_ns = hist_quantile(nt->counts, total, 9900, 0);
}

static void window_endpoint(struct net *nt, struct record *rec, Hostmon__V1__Connections *c,
			    const struct ep_row *row)
{
	const struct net_ep_key *k = row->key;
	Hostmon__V1__Endpoint *o = record__push(rec, &c->endpoints, &c->n_endpoints,
						&hostmon__v1__endpoint__descriptor);
	char addr[INET6_ADDRSTRLEN] = "", ep[INET6_ADDRSTRLEN + 16];

	if (!o)
		return;
	inet_ntop(k->family == AF_INET6 ? AF_INET6 : AF_INET, k->addr, addr, sizeof(addr));
	snprintf(ep, sizeof(ep), k->family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, k->port);
	o->endpoint = record__strdup(rec, ep);
	o->address = record__strdup(rec, addr);
	o->port = k->port;
	o->protocol = proto_protocol(k->protocol);
	o->direction = k->dir == NET_DIR_IN ? HOSTMON__V1__DIRECTION__DIRECTION_IN :
					      HOSTMON__V1__DIRECTION__DIRECTION_OUT;
	o->stats = conn_stats(rec, row->stat);
	endpoint_latency(nt, o, row);
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

static void window_connections(struct net *nt, struct record *rec, uint64_t *evicted)
{
	Hostmon__V1__Connections *c = record__msg(rec, &hostmon__v1__connections__descriptor);
	uint64_t total[NET_STAT_MAX], rest[NET_STAT_MAX], inserts = 0, present;
	size_t top;

	present = read_endpoints(nt);
	window_totals(nt, total, &inserts);
	*evicted = inserts > present ? inserts - present : 0;
	group_rows(nt);
	top = nt->nrows < nt->top_n ? nt->nrows : nt->top_n;
	for (size_t r = 0; r < top; r++) {
		if (c)
			window_endpoint(nt, rec, c, &nt->rows[r]);
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
	if (!c)
		return;
	c->other_endpoints = nt->nrows - top;
	c->other = conn_stats(rec, rest);
	c->total = conn_stats(rec, total);
	rec->ev.metrics.connections = c;
}

/*
 * Fills the metrics record's connections (the window's top endpoints by
 * attempts, the rest summed as other, and exact totals) and its "net" drops.
 */
static int nt_window(void *fam, struct record *rec)
{
	struct net *nt = fam;
	Hostmon__V1__DropCounters *dc = record__drops(rec, "net");
	uint64_t now, evicted;

	window_connections(nt, rec, &evicted);
	for (uint32_t i = 0; i < NET_DROP_MAX; i++) {
		now = read_percpu_u64(nt, nt->skel->maps.drops, i);
		record__drop(rec, dc, drop_names[i], now - nt->drops_prev[i]);
		nt->drops_prev[i] = now;
	}
	/* Keys created minus keys present only grows, but is read while the kernel writes. */
	record__drop(rec, dc, "endpoint_evictions",
		     evicted > nt->evicted_prev ? evicted - nt->evicted_prev : 0);
	if (evicted > nt->evicted_prev)
		nt->evicted_prev = evicted;
	record__drop(rec, dc, "map_read_errors", nt->read_errors + counters__errors(nt->ep_prev));
	return 0;
}

const struct family_ops net_family = {
	.name = "net",
	.enabled = nt_enabled,
	.open = nt_open,
	.free = nt_free,
	.epoll_fd = nt_epoll_fd,
	.events_fd = nt_events_fd,
	.poll = nt_poll,
	.window = nt_window,
	.shed = nt_shed,
	.shed_priority = 2,	/* conn_error events, after slow_syscall ones */
	.object = nt_object,
	.set_workloads = nt_set_workloads,
	.names_processes = true,
	.settle = nt_settle,
};
