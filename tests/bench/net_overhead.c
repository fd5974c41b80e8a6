// SPDX-License-Identifier: GPL-2.0
/* Benchmark: µs the net probes add per TCP connection over loopback (socket,
 * connect, accept, close both ends), against no tracing: as the default agent
 * runs them (connect and accept seen from the syscall family's sys_exit) and
 * as their fallback does (the syscalls: tracepoints, syscall family off). */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench_util.h"
#include "histogram.h"
#include "net.h"
#include "net.skel.h"
#include "syscalls.h"
#include "syscalls.skel.h"

#define MAX_CONNS	10000000L
/* hostmond's defaults (agent/config/config.c): [net] events_per_sec and [agent]
 * ringbuf_size; its [net] map sizes default to net.h's NET_*_ENTRIES. */
#define DEF_EVENTS_PER_SEC	1000
#define DEF_RINGBUF_BYTES	(256 * 1024)
#define TRACEFS		"/sys/kernel/tracing"

enum mode { MODE_NONE, MODE_PROBE, MODE_FALLBACK, MODE_MAX };

static const char *const mode_names[MODE_MAX] = { "none", "probe", "fallback" };

/*
 * The hooks of the net probes, and the raw syscall tracepoints a running
 * hostmond's syscall probe uses (they fire on every syscall of the loop).
 */
static const char *const hooks[] = {
	"inet_sock_set_state", "tcp_receive_reset", "tcp_send_reset",
	"tcp_retransmit_skb", "inet_sk_error_report", "tcp_destroy_sock",
	"sys_enter_connect", "sys_exit_connect", "sys_exit_accept", "sys_exit_accept4",
	"sys_enter", "sys_exit", NULL,
};


/* The options: --rounds, --conns (the loop's length), --cpu, --verbose. */
static const struct bench_opt_desc opt_desc = {
	.count_flag = "conns",
	.count_help = "loopback connections per phase",
	.count_max = MAX_CONNS,
	.rounds_help = "interleaved rounds of none/probe/fallback",
	.rounds = 11,
	.count = 20000,
};

/* The net object's syscalls: tracepoint programs, attached in the fallback mode only. */
#define FALLBACK_PROGS	4

struct bench {
	struct bench_opts opts;
	struct net_bpf *probe;
	/* The syscall family's object with the net exits on and its histograms off. */
	struct syscalls_bpf *sys;
	struct bpf_link *fallback[FALLBACK_PROGS];
	int listen_fd;
	struct sockaddr_in addr;	/* the listener's */
	double *us[MODE_MAX];	/* µs per connection, per round */
	double *added[MODE_MAX];	/* mode - none, per round */
	double *pct[MODE_MAX];	/* added / none, per round */
};

static struct bpf_program *fallback_prog(const struct bench *b, int i)
{
	struct bpf_program *const progs[FALLBACK_PROGS] = {
		b->probe->progs.net_connect_enter, b->probe->progs.net_connect_exit,
		b->probe->progs.net_accept_exit, b->probe->progs.net_accept4_exit,
	};

	return progs[i];
}

static int need_tracefs(void)
{
	if (access(TRACEFS "/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return 0;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL)) {
		fprintf(stderr, "bench: tracefs is not mounted and mounting it at %s failed: %s\n",
			TRACEFS, strerror(errno));
		return -errno;
	}
	printf("mounted tracefs at %s for the syscalls: tracepoints\n", TRACEFS);
	return 0;
}

/* Configured like hostmond's defaults: rate limit, ring buffer and map sizes. */
static int probe_open(struct bench *b)
{
	struct net_bpf *s;
	int err;

	s = b->probe = net_bpf__open();
	if (!s) {
		err = -errno;
		fprintf(stderr, "bench: open net probes failed: %s\n", bench_bpf_err(err));
		return err;
	}
	s->rodata->net_events_per_sec = DEF_EVENTS_PER_SEC;
	/* Every connect is compared with the agent's tgid: the parent stands in for it. */
	s->rodata->self_tgid = getppid();
	err = bpf_map__set_max_entries(s->maps.socks, NET_SOCK_ENTRIES);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.endpoints, NET_EP_ENTRIES);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.events, DEF_RINGBUF_BYTES);
	if (err) {
		fprintf(stderr, "bench: size net probe maps failed: %s\n", bench_bpf_err(err));
		return err;
	}
	for (int i = 0; i < FALLBACK_PROGS; i++)
		bpf_program__set_autoattach(fallback_prog(b, i), false);
	err = net_bpf__load(s);
	if (err)
		fprintf(stderr, "bench: load net probes failed: %s\n", bench_bpf_err(err));
	return err;
}

/*
 * The syscall family's object as hostmond loads it next to the net family
 * (agent/probes/net_family.c net__share), with no syscall histogrammed: its sys_enter and
 * sys_exit cost what the syscall family pays anyway, the rest is the net's.
 */
static int sys_open(struct bench *b)
{
	static const char *const names[] = {
		"socks", "endpoints", "totals", "rate", "net_shed", "net_events", "net_drops",
		"net_cg_failures",
	};
	const struct bpf_map *const own[] = {
		b->probe->maps.socks, b->probe->maps.endpoints, b->probe->maps.totals,
		b->probe->maps.rate, b->probe->maps.net_shed, b->probe->maps.events,
		b->probe->maps.drops, b->probe->maps.net_cg_failures,
	};
	struct syscalls_bpf *s;
	int err = 0;

	s = b->sys = syscalls_bpf__open();
	if (!s) {
		err = -errno;
		fprintf(stderr, "bench: open syscalls probe failed: %s\n", bench_bpf_err(err));
		return err;
	}
	s->rodata->self_tgid = getppid();
	s->rodata->net_exits = true;
	s->rodata->net_events_per_sec = DEF_EVENTS_PER_SEC;
	for (size_t i = 0; !err && i < sizeof(names) / sizeof(names[0]); i++)
		err = bpf_map__reuse_fd(bpf_object__find_map_by_name(s->obj, names[i]),
					bpf_map__fd(own[i]));
	if (!err)
		err = syscalls_bpf__load(s);
	if (err)
		fprintf(stderr, "bench: load syscalls probe failed: %s\n", bench_bpf_err(err));
	return err;
}

/* A listener on 127.0.0.1, on a port the kernel picks. */
static int server_open(struct bench *b)
{
	socklen_t len = sizeof(b->addr);
	int err;

	b->addr.sin_family = AF_INET;
	b->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	b->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (b->listen_fd < 0 ||
	    bind(b->listen_fd, (struct sockaddr *)&b->addr, sizeof(b->addr)) ||
	    listen(b->listen_fd, 128) ||
	    getsockname(b->listen_fd, (struct sockaddr *)&b->addr, &len)) {
		err = -errno;
		fprintf(stderr, "bench: listen on 127.0.0.1 failed: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

/*
 * One connection, client and server in this thread: on loopback the
 * handshake completes inside connect(), so accept() finds it queued.
 *
 * The server end closes first, so TIME_WAIT lands on the accepted socket
 * (keyed by the server's port) and the client's ephemeral port is free
 * again once its LAST_ACK is answered. When the port comes round again the
 * kernel takes the new SYN over the old TIME_WAIT (newer timestamp and
 * sequence), so the loop never runs out of ports. No SO_LINGER reset (the
 * probe would count it as a reset sent), no sysctl changed.
 */
static int one_connection(const struct bench *b)
{
	int c, s = -1, err = 0;

	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		return -errno;
	if (connect(c, (const struct sockaddr *)&b->addr, sizeof(b->addr)) ||
	    (s = accept(b->listen_fd, NULL, NULL)) < 0)
		err = -errno;
	if (s >= 0)
		close(s);
	close(c);
	return err;
}

static double elapsed_us(const struct timespec *t0, const struct timespec *t1)
{
	return (t1->tv_sec - t0->tv_sec) * 1e6 + (t1->tv_nsec - t0->tv_nsec) / 1e3;
}

/* The timed loop: n connections, and nothing else, between the two clock reads. */
static int time_connections(const struct bench *b, long n, double *us_per_conn)
{
	struct timespec t0, t1;
	long i;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		err = one_connection(b);
		if (err) {
			fprintf(stderr, "bench: connection %ld to 127.0.0.1:%u failed: %s\n",
				i + 1, ntohs(b->addr.sin_port), strerror(-err));
			return err;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*us_per_conn = elapsed_us(&t0, &t1) / n;
	return 0;
}

static int attach(struct bench *b, enum mode m)
{
	int err;

	if (m == MODE_NONE)
		return 0;
	err = net_bpf__attach(b->probe);
	if (!err && m == MODE_PROBE)
		err = syscalls_bpf__attach(b->sys);
	for (int i = 0; !err && m == MODE_FALLBACK && i < FALLBACK_PROGS; i++) {
		b->fallback[i] = bpf_program__attach(fallback_prog(b, i));
		if (!b->fallback[i])
			err = -errno;
	}
	if (err)
		fprintf(stderr, "bench: attach %s failed: %s\n", mode_names[m], bench_bpf_err(err));
	return err;
}

static void detach(struct bench *b)
{
	net_bpf__detach(b->probe);
	syscalls_bpf__detach(b->sys);
	for (int i = 0; i < FALLBACK_PROGS; i++) {
		bpf_link__destroy(b->fallback[i]);
		b->fallback[i] = NULL;
	}
}

static int run_phase(struct bench *b, enum mode m, double *us_per_conn)
{
	int err = attach(b, m);

	if (!err)
		err = time_connections(b, b->opts.count, us_per_conn);
	detach(b);
	return err;
}

/* Round r runs the modes rotated by r, so drift lands on both modes alike. */
static int run_round(struct bench *b, int r)
{
	enum mode order[MODE_MAX];
	double none;
	char ord[32];
	int k, err;

	for (k = 0; k < MODE_MAX; k++) {
		order[k] = (enum mode)((r + k) % MODE_MAX);
		err = run_phase(b, order[k], &b->us[order[k]][r]);
		if (err)
			return err;
	}
	none = b->us[MODE_NONE][r];
	for (k = MODE_PROBE; k < MODE_MAX; k++) {
		b->added[k][r] = b->us[k][r] - none;
		b->pct[k][r] = 100 * b->added[k][r] / none;
	}
	snprintf(ord, sizeof(ord), "%.1s,%.1s,%.1s", mode_names[order[0]], mode_names[order[1]],
		 mode_names[order[2]]);
	printf("%5d  %-6s %9.2f %9.2f %9.2f %8.1f%% %9.2f %8.1f%%\n", r + 1, ord, none,
	       b->us[MODE_PROBE][r], b->added[MODE_PROBE][r], b->pct[MODE_PROBE][r],
	       b->us[MODE_FALLBACK][r], b->pct[MODE_FALLBACK][r]);
	return 0;
}

/* The probes' exact totals (enum net_stat) since load, summed over possible CPUs. */
static int probe_totals(struct bench *b, __u64 *total)
{
	struct bpf_map *map = b->probe->maps.totals;
	int ncpu, err = 0, i;
	__u32 key;
	__u64 *buf;

	ncpu = libbpf_num_possible_cpus();
	if (ncpu < 0) {
		fprintf(stderr, "bench: count possible CPUs failed: %s\n", bench_bpf_err(ncpu));
		return ncpu;
	}
	buf = calloc(ncpu, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	for (key = 0; key < NET_STAT_MAX && !err; key++) {
		err = bpf_map__lookup_elem(map, &key, sizeof(key), buf,
					   ncpu * sizeof(*buf), 0);
		if (err) {
			fprintf(stderr, "bench: read totals[%u] failed: %s\n", key, bench_bpf_err(err));
			break;
		}
		total[key] = 0;
		for (i = 0; i < ncpu; i++)
			total[key] += buf[i];
	}
	free(buf);
	return err;
}

/* One counter of the listener's endpoint, outgoing (connects) or incoming (accepts); 0 if absent. */
static __u64 listener_count(struct bench *b, __u8 dir, __u32 stat)
{
	struct net_ep_key key = {
		.port = ntohs(b->addr.sin_port),
		.family = AF_INET,
		.protocol = IPPROTO_TCP,
		.dir = dir,
		.stat = stat,
	};
	__u64 n = 0;

	memcpy(key.addr, &b->addr.sin_addr, sizeof(b->addr.sin_addr));
	if (bpf_map__lookup_elem(b->probe->maps.endpoints, &key, sizeof(key), &n, sizeof(n), 0))
		return 0;
	return n;
}

/* The loop's own share of the totals (other tasks may connect meanwhile). */
static void print_listener_counts(struct bench *b)
{
	__u64 out_fail = 0, in_fail = 0;
	int k;

	for (k = 0; k < NET_KIND_MAX; k++) {
		out_fail += listener_count(b, NET_DIR_OUT, NET_STAT_FAILURES + k);
		in_fail += listener_count(b, NET_DIR_IN, NET_STAT_FAILURES + k);
	}
	printf("  of which to the loop's listener: %llu attempts, %llu established, "
	       "%llu failures out, %llu in\n",
	       (unsigned long long)listener_count(b, NET_DIR_OUT, NET_STAT_ATTEMPTS),
	       (unsigned long long)listener_count(b, NET_DIR_OUT, NET_STAT_ESTABLISHED),
	       (unsigned long long)out_fail, (unsigned long long)in_fail);
}

static void report(const struct bench *b)
{
	int n = b->opts.rounds;

	printf("\nmedians over %d rounds (µs per connection):\n", n);
	printf("  none          %9.2f\n", bench_median(b->us[MODE_NONE], n));
	for (int m = MODE_PROBE; m < MODE_MAX; m++) {
		printf("  %-13s %9.2f\n", mode_names[m], bench_median(b->us[m], n));
		printf("    added       %9.2f  (median of per-round %s - none)\n",
		       bench_median(b->added[m], n), mode_names[m]);
		printf("    overhead    %8.1f%%  (median of per-round added / none)\n",
		       bench_median(b->pct[m], n));
	}
}

/* The probes must have seen every connect of their phases, or we measured nothing. */
static int check_counted(struct bench *b, const __u64 *before)
{
	__u64 after[NET_STAT_MAX], d[NET_STAT_MAX], failures = 0;
	__u64 want = (__u64)b->opts.rounds * b->opts.count * (MODE_MAX - 1);
	int err, k;

	err = probe_totals(b, after);
	if (err)
		return err;
	for (k = 0; k < NET_STAT_MAX; k++)
		d[k] = after[k] - before[k];
	for (k = 0; k < NET_KIND_MAX; k++)
		failures += d[NET_STAT_FAILURES + k];
	printf("probes counted %llu attempts, %llu established, %llu failures, "
	       "%llu retransmits in their phases (loop made %llu connections)\n",
	       (unsigned long long)d[NET_STAT_ATTEMPTS],
	       (unsigned long long)d[NET_STAT_ESTABLISHED], (unsigned long long)failures,
	       (unsigned long long)d[NET_STAT_RETRANSMITS], (unsigned long long)want);
	print_listener_counts(b);
	if (d[NET_STAT_ATTEMPTS] < want) {
		fprintf(stderr, "bench: probes counted only %llu of %llu connection attempts\n",
			(unsigned long long)d[NET_STAT_ATTEMPTS], (unsigned long long)want);
		return -EIO;
	}
	return 0;
}

static int run(struct bench *b)
{
	__u64 before[NET_STAT_MAX];
	double warm;
	int r, err;

	err = probe_totals(b, before);
	if (err)
		return err;
	printf("net_overhead: %ld loopback connections per phase, %ld rounds, CPU %ld, "
	       "127.0.0.1:%u\n", b->opts.count, b->opts.rounds, b->opts.cpu,
	       ntohs(b->addr.sin_port));
	/* Untimed: fills the TIME_WAIT table the rounds then run against. */
	err = time_connections(b, b->opts.count, &warm);
	if (err)
		return err;
	printf("warm-up (untimed in the results): %.2f µs per connection\n", warm);
	printf("%5s  %-6s %9s %9s %9s %9s %9s %9s\n", "round", "order", "none", "probe",
	       "added", "overhead", "fallback", "overhead");
	for (r = 0; r < b->opts.rounds; r++) {
		err = bench_check_no_foreign(hooks, r ? "between rounds" : "before the rounds");
		if (!err)
			err = run_round(b, r);
		if (err)
			return err;
	}
	err = check_counted(b, before);
	if (!err)
		err = bench_check_no_foreign(hooks, "after the rounds");
	if (err)
		return err;
	report(b);
	return 0;
}

static int bench_setup(struct bench *b)
{
	int m, err;

	for (m = 0; m < MODE_MAX; m++) {
		b->us[m] = calloc(b->opts.rounds, sizeof(double));
		if (!b->us[m])
			return -ENOMEM;
	}
	for (m = 0; m < MODE_MAX; m++) {
		b->added[m] = calloc(b->opts.rounds, sizeof(double));
		b->pct[m] = calloc(b->opts.rounds, sizeof(double));
		if (!b->added[m] || !b->pct[m])
			return -ENOMEM;
	}
	err = bench_pin_cpu(b->opts.cpu);
	if (!err)
		err = need_tracefs();
	if (!err)
		err = probe_open(b);
	if (!err)
		err = sys_open(b);
	if (!err)
		err = server_open(b);
	return err;
}

static void bench_free(struct bench *b)
{
	int m;

	if (b->listen_fd >= 0)
		close(b->listen_fd);
	syscalls_bpf__destroy(b->sys);
	net_bpf__destroy(b->probe);
	for (m = 0; m < MODE_MAX; m++) {
		free(b->us[m]);
		free(b->added[m]);
		free(b->pct[m]);
	}
}

int main(int argc, char **argv)
{
	struct bench b = { .listen_fd = -1 };
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* rounds show up as they finish */
	if (bench_parse_opts(argc, argv, &opt_desc, &b.opts))
		return 2;
	bench_verbose = b.opts.verbose;
	libbpf_set_print(bench_print_libbpf);
	err = bench_setup(&b);
	if (err == -ENOMEM)
		fprintf(stderr, "bench: out of memory\n");
	if (!err)
		err = run(&b);
	bench_free(&b);
	return err ? 1 : 0;
}
