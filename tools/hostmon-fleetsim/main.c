/*
 * hostmon-fleetsim: the hostmon.v1 envelopes of a simulated fleet, produced
 * into Kafka (key = host id) as N agents would: a metrics window per host
 * per interval, and on a schedule given by flags crashes, crash waves,
 * canary crashes, OOM kills, silences, seq gaps, restarts and degraded
 * agents. It prints its schedule, one line per scheduled event, first.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include "proto/hostmon.pb-c.h"

#define NS		1000000000ULL
#define EVENTS_MAX	256

enum ev_kind { EV_CRASH, EV_WAVE, EV_CANARY, EV_OOM, EV_SILENCE, EV_GAP, EV_RESTART, EV_DEGRADED, EV_CONN,
	       EV_RESUME, EV_RUNNING };

struct event {
	enum ev_kind kind;
	unsigned host;		/* first host */
	unsigned count;		/* crashes, hosts of a wave, seqs skipped, errors */
	unsigned window;	/* the window (0-based) it happens in */
	char what[128];		/* exe, container */
};

struct host {
	char id[40];
	char boot_id[40];
	char instance_id[40];
	uint64_t seq;
	int silent;
	int degraded;
	uint32_t next_pid;
};

struct sim {
	const char *brokers, *topic;
	unsigned nhosts, windows;
	uint64_t interval_ns;
	int fast;		/* no waiting: windows back to back, for benchmarks */
	struct event ev[EVENTS_MAX];
	unsigned nev;
	struct host *hosts;
	rd_kafka_t *rk;
	uint64_t produced, failed;
	uint8_t *buf;		/* one envelope, packed */
	size_t cap;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: hostmon-fleetsim --brokers LIST [options] [events]\n"
		"  -b, --brokers LIST    bootstrap brokers\n"
		"  -t, --topic NAME      (default hostmon.events)\n"
		"  -n, --hosts N         simulated hosts sim-host-00000.. (default 10)\n"
		"  -i, --interval MS     metrics window per host (default 10000)\n"
		"  -w, --windows N       windows to run (default 10)\n"
		"      --fast            windows back to back, timestamps still one interval apart\n"
		"Events, each at window W (repeatable):\n"
		"  --crash H:EXE:N@W     host H's EXE crashes N times (SIGSEGV, core dumped)\n"
		"  --wave EXE:K@W        EXE crashes once on hosts 0..K-1\n"
		"  --canary H:N@W        N crashes of hostmonctl selftest's canary on host H\n"
		"  --oom H:CONTAINER@W   an OOM kill in CONTAINER on host H\n"
		"  --silence H@W         host H sends nothing from W on\n"
		"  --gap H:K@W           host H loses K records before W's window\n"
		"  --restart H@W         host H's agent restarts (new instance, seq from 1)\n"
		"  --degraded H@W        host H's agent reports degraded at W\n"
		"  --conn-errors H:N@W   N refused connections on host H\n"
		"  --resume H@W          host H sends again from W on\n"
		"  --running H@W         host H's agent reports running again at W\n");
}

static int parse_uint(const char *s, unsigned max, unsigned *out, char **end)
{
	unsigned long v;

	errno = 0;
	v = strtoul(s, end, 10);
	if (errno || *end == s || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* "[H:]WHAT[:N]@W" by kind; 0 or -EINVAL. */
static int parse_event(struct sim *s, enum ev_kind kind, const char *arg)
{
	struct event *e = &s->ev[s->nev];
	const char *at = strrchr(arg, '@');
	char *end, body[sizeof(e->what)];
	char *colon, *colon2;

	if (s->nev >= EVENTS_MAX || !at || (size_t)(at - arg) >= sizeof(body))
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->count = 1;
	if (parse_uint(at + 1, 1000000, &e->window, &end) || *end)
		return -EINVAL;
	memcpy(body, arg, at - arg);
	body[at - arg] = '\0';
	colon = strchr(body, ':');
	if (kind == EV_WAVE) { /* EXE:K: the exe may hold no colon */
		colon = strrchr(body, ':');
		if (!colon || parse_uint(colon + 1, 1000000, &e->count, &end) || *end)
			return -EINVAL;
		*colon = '\0';
		snprintf(e->what, sizeof(e->what), "%s", body);
		s->nev++;
		return 0;
	}
	if (parse_uint(body, 10000000, &e->host, &end) || (*end && *end != ':'))
		return -EINVAL;
	if (colon) {
		colon2 = strrchr(colon + 1, ':');
		if (kind == EV_CRASH) {
			if (!colon2 || parse_uint(colon2 + 1, 1000000, &e->count, &end) || *end)
				return -EINVAL;
			*colon2 = '\0';
			snprintf(e->what, sizeof(e->what), "%s", colon + 1);
		} else if (kind == EV_OOM) {
			snprintf(e->what, sizeof(e->what), "%s", colon + 1);
		} else if (parse_uint(colon + 1, 1000000, &e->count, &end) || *end) {
			return -EINVAL;
		}
	}
	s->nev++;
	return 0;
}

static int parse_args(struct sim *s, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "brokers", required_argument, NULL, 'b' }, { "topic", required_argument, NULL, 't' },
		{ "hosts", required_argument, NULL, 'n' }, { "interval", required_argument, NULL, 'i' },
		{ "windows", required_argument, NULL, 'w' }, { "fast", no_argument, NULL, 'F' },
		{ "crash", required_argument, NULL, EV_CRASH + 1000 },
		{ "wave", required_argument, NULL, EV_WAVE + 1000 },
		{ "canary", required_argument, NULL, EV_CANARY + 1000 },
		{ "oom", required_argument, NULL, EV_OOM + 1000 },
		{ "silence", required_argument, NULL, EV_SILENCE + 1000 },
		{ "gap", required_argument, NULL, EV_GAP + 1000 },
		{ "restart", required_argument, NULL, EV_RESTART + 1000 },
		{ "degraded", required_argument, NULL, EV_DEGRADED + 1000 },
		{ "conn-errors", required_argument, NULL, EV_CONN + 1000 },
		{ "resume", required_argument, NULL, EV_RESUME + 1000 },
		{ "running", required_argument, NULL, EV_RUNNING + 1000 },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	unsigned ms = 10000;
	char *end;
	int c;

	s->topic = "hostmon.events";
	s->nhosts = 10;
	s->windows = 10;
	while ((c = getopt_long(argc, argv, "b:t:n:i:w:h", longopts, NULL)) != -1) {
		const char *bad = NULL;

		switch (c) {
		case 'b': s->brokers = optarg; break;
		case 't': s->topic = optarg; break;
		case 'n': if (parse_uint(optarg, 10000000, &s->nhosts, &end) || *end || !s->nhosts) bad = "--hosts"; break;
		case 'i': if (parse_uint(optarg, 3600000, &ms, &end) || *end || !ms) bad = "--interval"; break;
		case 'w': if (parse_uint(optarg, 10000000, &s->windows, &end) || *end) bad = "--windows"; break;
		case 'F': s->fast = 1; break;
		case 'h': usage(stdout); exit(0);
		default:
			if (c < 1000 || parse_event(s, (enum ev_kind)(c - 1000), optarg))
				bad = c >= 1000 ? longopts[c - 1000 + 6].name : "option";
		}
		if (bad) {
			fprintf(stderr, "hostmon-fleetsim: bad %s '%s'\n", bad, optarg ? optarg : "");
			return -EINVAL;
		}
	}
	s->interval_ns = (uint64_t)ms * 1000000ULL;
	if (!s->brokers || optind < argc) {
		fprintf(stderr, "hostmon-fleetsim: %s\n", s->brokers ? "unexpected argument" : "--brokers is required");
		return -EINVAL;
	}
	for (unsigned i = 0; i < s->nev; i++)
		if (s->ev[i].host >= s->nhosts || (s->ev[i].kind == EV_WAVE && s->ev[i].count > s->nhosts)) {
			fprintf(stderr, "hostmon-fleetsim: an event names host %u of %u\n",
				s->ev[i].kind == EV_WAVE ? s->ev[i].count : s->ev[i].host, s->nhosts);
			return -EINVAL;
		}
	return 0;
}

static void random_id(char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	static uint64_t x;

	if (!x)
		x = wall_ns() ^ ((uint64_t)getpid() << 32);
	for (size_t i = 0; i + 1 < len && i < 32; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		out[i] = hex[x & 15];
		out[i + 1] = '\0';
	}
}

static int hosts_new(struct sim *s)
{
	s->hosts = calloc(s->nhosts, sizeof(*s->hosts));
	if (!s->hosts)
		return -ENOMEM;
	for (unsigned i = 0; i < s->nhosts; i++) {
		struct host *h = &s->hosts[i];

		snprintf(h->id, sizeof(h->id), "sim-host-%05u", i);
		random_id(h->boot_id, sizeof(h->boot_id));
		random_id(h->instance_id, sizeof(h->instance_id));
		h->next_pid = 1000 + i * 7;
	}
	return 0;
}

/* Serializes env into the topic, keyed by the host (librdkafka copies it). */
static void produce(struct sim *s, struct host *h, Hostmon__V1__Envelope *env)
{
	size_t len = hostmon__v1__envelope__get_packed_size(env);
	rd_kafka_resp_err_t err;
	uint8_t *buf;

	if (len > s->cap) {
		buf = realloc(s->buf, len);
		if (!buf) {
			s->failed++;
			return;
		}
		s->buf = buf;
		s->cap = len;
	}
	buf = s->buf;
	hostmon__v1__envelope__pack(env, buf);
	while ((err = rd_kafka_producev(s->rk, RD_KAFKA_V_TOPIC(s->topic),
					RD_KAFKA_V_KEY(h->id, strlen(h->id)), RD_KAFKA_V_VALUE(buf, len),
					RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
	       RD_KAFKA_RESP_ERR__QUEUE_FULL)
		rd_kafka_poll(s->rk, 10);
	if (err) {
		fprintf(stderr, "hostmon-fleetsim: produce to %s failed: %s\n", s->topic, rd_kafka_err2str(err));
		s->failed++;
		return;
	}
	s->produced++;
}

static void envelope_init(Hostmon__V1__Envelope *env, struct host *h, uint64_t ts)
{
	hostmon__v1__envelope__init(env);
	env->host_id = h->id;
	env->boot_id = h->boot_id;
	env->instance_id = h->instance_id;
	env->seq = ++h->seq;
	env->ts_ns = ts;
	env->agent_version = "fleetsim";
}

static void send_metrics(struct sim *s, struct host *h, uint64_t ts)
{
	Hostmon__V1__Envelope env;
	Hostmon__V1__MetricsWindow m;
	Hostmon__V1__AgentSelf self;

	envelope_init(&env, h, ts);
	hostmon__v1__metrics_window__init(&m);
	hostmon__v1__agent_self__init(&self);
	m.window_start_ns = ts - s->interval_ns;
	m.window_ns = s->interval_ns;
	m.state = h->degraded ? HOSTMON__V1__AGENT_STATE__AGENT_STATE_DEGRADED :
				HOSTMON__V1__AGENT_STATE__AGENT_STATE_RUNNING;
	self.shed_level = "none";
	m.self = &self;
	env.event_case = HOSTMON__V1__ENVELOPE__EVENT_METRICS;
	env.metrics = &m;
	produce(s, h, &env);
}

static void send_crash(struct sim *s, struct host *h, uint64_t ts, const char *exe, int canary)
{
	Hostmon__V1__Envelope env;
	Hostmon__V1__ProcessCrash c;
	const char *slash = strrchr(exe, '/');

	envelope_init(&env, h, ts);
	hostmon__v1__process_crash__init(&c);
	c.pid = h->next_pid++;
	c.ppid = 1;
	c.comm = (char *)(slash ? slash + 1 : exe);
	c.exe = (char *)exe;
	c.signal = 11;
	c.signal_name = "SIGSEGV";
	c.core_dumped = !canary;
	c.exit_code = 139;
	c.wait_status = 139;
	c.cgroup = "/system.slice/sim.service";
	c.canary = canary;
	env.event_case = HOSTMON__V1__ENVELOPE__EVENT_PROCESS_CRASH;
	env.process_crash = &c;
	produce(s, h, &env);
}

static void send_oom(struct sim *s, struct host *h, uint64_t ts, const char *container)
{
	Hostmon__V1__Envelope env;
	Hostmon__V1__OomKill o;

	envelope_init(&env, h, ts);
	hostmon__v1__oom_kill__init(&o);
	o.pid = h->next_pid++;
	o.comm = "memhog";
	o.memcg = "/sim.slice";
	o.container_id = (char *)container;
	o.anon_rss_kb = 512000;
	env.event_case = HOSTMON__V1__ENVELOPE__EVENT_OOM_KILL;
	env.oom_kill = &o;
	produce(s, h, &env);
}

static void send_status(struct sim *s, struct host *h, uint64_t ts, Hostmon__V1__AgentState state,
			const char *reason)
{
	Hostmon__V1__Envelope env;
	Hostmon__V1__AgentStatus st;

	envelope_init(&env, h, ts);
	hostmon__v1__agent_status__init(&st);
	st.state = state;
	st.reason = (char *)reason;
	env.event_case = HOSTMON__V1__ENVELOPE__EVENT_AGENT_STATUS;
	env.agent_status = &st;
	produce(s, h, &env);
}

static void send_conn_error(struct sim *s, struct host *h, uint64_t ts)
{
	Hostmon__V1__Envelope env;
	Hostmon__V1__ConnError ce;

	envelope_init(&env, h, ts);
	hostmon__v1__conn_error__init(&ce);
	ce.pid = h->next_pid;
	ce.comm = "client";
	ce.protocol = HOSTMON__V1__PROTOCOL__PROTOCOL_TCP;
	ce.family = HOSTMON__V1__ADDRESS_FAMILY__ADDRESS_FAMILY_IPV4;
	ce.saddr = "10.0.0.1";
	ce.daddr = "10.0.0.2";
	ce.dport = 8080;
	ce.errnum = 111;
	ce.error = "ECONNREFUSED";
	ce.kind = HOSTMON__V1__CONN_ERROR_KIND__CONN_ERROR_KIND_REFUSED;
	ce.connect = 1;
	env.event_case = HOSTMON__V1__ENVELOPE__EVENT_CONN_ERROR;
	env.conn_error = &ce;
	produce(s, h, &env);
}

/* An event's records, at ts (1 ms apart); state changes (silence, gap, restart) first. */
static void run_event(struct sim *s, const struct event *e, uint64_t ts)
{
	struct host *h = &s->hosts[e->host];

	switch (e->kind) {
	case EV_CRASH:
	case EV_CANARY:
		for (unsigned i = 0; i < e->count; i++)
			send_crash(s, h, ts + i * 1000000ULL, e->kind == EV_CANARY ? "/usr/bin/hostmonctl" : e->what,
				   e->kind == EV_CANARY);
		break;
	case EV_WAVE:
		for (unsigned i = 0; i < e->count; i++)
			if (!s->hosts[i].silent)
				send_crash(s, &s->hosts[i], ts + i * 1000000ULL, e->what, 0);
		break;
	case EV_OOM: send_oom(s, h, ts, e->what); break;
	case EV_SILENCE: h->silent = 1; break;
	case EV_GAP: h->seq += e->count; break;
	case EV_RESTART:
		random_id(h->instance_id, sizeof(h->instance_id));
		h->seq = 0;
		send_status(s, h, ts, HOSTMON__V1__AGENT_STATE__AGENT_STATE_STARTING, "start");
		break;
	case EV_DEGRADED:
		h->degraded = 1;
		send_status(s, h, ts, HOSTMON__V1__AGENT_STATE__AGENT_STATE_DEGRADED, "probe family failed");
		break;
	case EV_RUNNING:
		h->degraded = 0;
		send_status(s, h, ts, HOSTMON__V1__AGENT_STATE__AGENT_STATE_RUNNING, "probes attached");
		break;
	case EV_RESUME: h->silent = 0; break;
	case EV_CONN:
		for (unsigned i = 0; i < e->count; i++)
			send_conn_error(s, h, ts + i * 1000ULL);
		break;
	}
}

static const char *const kind_names[] = { "crash", "wave", "canary", "oom", "silence", "gap",
					  "restart", "degraded", "conn_errors", "resume", "running" };

static void print_schedule(const struct sim *s)
{
	printf("fleetsim hosts=%u interval_ms=%llu windows=%u topic=%s\n", s->nhosts,
	       (unsigned long long)(s->interval_ns / 1000000), s->windows, s->topic);
	for (unsigned i = 0; i < s->nev; i++) {
		const struct event *e = &s->ev[i];

		printf("schedule window=%u kind=%s host=%s count=%u what=%s\n", e->window, kind_names[e->kind],
		       e->kind == EV_WAVE ? "sim-host-00000.." : s->hosts[e->host].id, e->count,
		       e->what[0] ? e->what : "-");
	}
	if (fflush(stdout))
		perror("hostmon-fleetsim: stdout");
}

/* Events that change a host before its window's records: they shape those records. */
static int first_of_window(enum ev_kind kind)
{
	return kind == EV_SILENCE || kind == EV_GAP || kind == EV_RESTART || kind == EV_RESUME;
}

static void one_window(struct sim *s, unsigned w, uint64_t ts)
{
	for (unsigned i = 0; i < s->nev; i++)
		if (s->ev[i].window == w && first_of_window(s->ev[i].kind))
			run_event(s, &s->ev[i], ts);
	for (unsigned h = 0; h < s->nhosts; h++)
		if (!s->hosts[h].silent)
			send_metrics(s, &s->hosts[h], ts);
	for (unsigned i = 0; i < s->nev; i++)
		if (s->ev[i].window == w && !first_of_window(s->ev[i].kind) &&
		    (s->ev[i].kind == EV_WAVE || !s->hosts[s->ev[i].host].silent))
			run_event(s, &s->ev[i], ts + 1000000ULL);
	rd_kafka_poll(s->rk, 0);
}

static void sleep_until(uint64_t wall)
{
	uint64_t now = wall_ns();
	struct timespec ts;

	if (now >= wall)
		return;
	ts.tv_sec = (wall - now) / NS;
	ts.tv_nsec = (wall - now) % NS;
	nanosleep(&ts, NULL);
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct sim *s = opaque;

	(void)rk;
	if (m->err) {
		s->failed++;
		fprintf(stderr, "hostmon-fleetsim: delivery failed: %s\n", rd_kafka_err2str(m->err));
	}
}

static rd_kafka_t *producer_new(struct sim *s)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];
	rd_kafka_t *rk;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", s->brokers, err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "linger.ms", "20", err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "compression.codec", "lz4", err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", err, sizeof(err))) {
		fprintf(stderr, "hostmon-fleetsim: %s\n", err);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rd_kafka_conf_set_opaque(conf, s);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "hostmon-fleetsim: %s\n", err);
		rd_kafka_conf_destroy(conf);
	}
	return rk;
}

int main(int argc, char **argv)
{
	struct sim s = { 0 };
	uint64_t start, ts;
	int rc = 1;

	if (parse_args(&s, argc, argv)) {
		usage(stderr);
		return 2;
	}
	if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR ||
	    hosts_new(&s) || !(s.rk = producer_new(&s)))
		goto out;
	print_schedule(&s);
	start = wall_ns();
	for (unsigned w = 0; w < s.windows && !stop; w++) {
		ts = s.fast ? start + w * s.interval_ns : wall_ns();
		one_window(&s, w, ts);
		if (!s.fast)
			sleep_until(start + (w + 1) * s.interval_ns);
	}
	if (rd_kafka_flush(s.rk, 60000))
		fprintf(stderr, "hostmon-fleetsim: records still undelivered after 60 s\n");
	printf("fleetsim produced=%llu failed=%llu seconds=%.3f\n", (unsigned long long)s.produced,
	       (unsigned long long)s.failed + (unsigned long long)rd_kafka_outq_len(s.rk), (wall_ns() - start) / 1e9);
	rc = s.failed || rd_kafka_outq_len(s.rk) ? 1 : 0;
out:
	if (s.rk)
		rd_kafka_destroy(s.rk);
	free(s.hosts);
	free(s.buf);
	return rc;
}
