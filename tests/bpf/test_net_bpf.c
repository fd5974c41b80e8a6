/*
 * The net family's programs one by one (bpf/net.bpf.c, and bpf/net_sys.bpf.h
 * inside the syscall family's object): each test loads the skeleton, runs
 * connections in a network namespace of its own, from a cgroup of its own,
 * and reads the conn_error records, the endpoint counts, the totals and the
 * per-cgroup failures. The tracepoints see every namespace of the host, so
 * records are told apart by the test's pids, endpoints by a port the test
 * picked, and the totals (host-wide) hold the test's counts at least.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/histogram.h"
#include "bpf/net.h"
#include "net.skel.h"
#include "syscalls.skel.h"
#include "probes/family.h"
#include "bpftest.h"

/* The net object's connect()/accept() syscalls: tracepoint programs. */
#define FALLBACK_PROGS	4

struct net_test {
	struct net_bpf *skel;
	struct syscalls_bpf *sys;	/* the syscall family's object, when a test loads it */
	struct bpf_link *fallback[FALLBACK_PROGS];
	struct bpftest_ring *ring;
	struct bpftest_cgroup cg;
	uint16_t port;			/* the server's or the closed port, picked per test */
};

/* Where a test's owner of sockets comes from, besides the state changes. */
enum owners {
	OWNERS_NONE,		/* no connect()/accept() exits attached */
	OWNERS_FALLBACK,	/* the net object's syscalls: tracepoints */
	OWNERS_SYS_EXIT,	/* the syscall family's sc_exit, maps shared as hostmond does */
};

static int setup(void **state)
{
	struct net_test *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	/* A port other tests on the host are unlikely to use at the same moment. */
	t->port = 20000 + getpid() % 20000;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct net_test *t = *state;

	bpftest_ring__free(t->ring);
	for (size_t i = 0; i < FALLBACK_PROGS; i++)
		bpf_link__destroy(t->fallback[i]);
	syscalls_bpf__destroy(t->sys);
	net_bpf__destroy(t->skel);
	bpftest_cgroup__remove(&t->cg);
	free(t);
	return 0;
}

/*
 * The syscall family's object with its net maps reused from the net object
 * (agent/probes/net_family.c net__share's list): no syscall timed, only sc_exit's
 * connect()/accept() exits at work.
 */
static void load_sys_exit(struct net_test *t)
{
	static const char *const shared[] = {
		"socks", "endpoints", "totals", "rate", "net_shed", "net_events", "net_drops",
		"net_cg_failures",
	};
	const struct bpf_map *const from[] = {
		t->skel->maps.socks, t->skel->maps.endpoints, t->skel->maps.totals,
		t->skel->maps.rate, t->skel->maps.net_shed, t->skel->maps.events,
		t->skel->maps.drops, t->skel->maps.net_cg_failures,
	};
	struct syscalls_bpf *sys;

	t->sys = sys = syscalls_bpf__open();
	assert_non_null(sys);
	sys->rodata->net_exits = true;
	sys->rodata->net_events_per_sec = 0;
	sys->rodata->self_tgid = 0;
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++)
		assert_int_equal(bpf_map__reuse_fd(bpf_object__find_map_by_name(sys->obj, shared[i]),
						   bpf_map__fd(from[i])), 0);
	assert_int_equal(bpf_map__reuse_fd(sys->maps.exe_paths,
					   bpf_map__fd(t->skel->maps.exe_paths)), 0);
	bpf_program__set_autoload(sys->progs.sc_enter_thread, false);
	bpf_program__set_autoload(sys->progs.sc_exit_thread, false);
	bpf_program__set_autoload(sys->progs.sc_thread_exit, false);
	bpf_map__set_autocreate(sys->maps.thread_starts, false);
	assert_int_equal(syscalls_bpf__load(sys), 0);
	assert_int_equal(syscalls_bpf__attach(sys), 0);
}

static void attach_fallback(struct net_test *t)
{
	struct bpf_program *const progs[] = {
		t->skel->progs.net_connect_enter, t->skel->progs.net_connect_exit,
		t->skel->progs.net_accept_exit, t->skel->progs.net_accept4_exit,
	};

	for (size_t i = 0; i < FALLBACK_PROGS; i++) {
		t->fallback[i] = bpf_program__attach(progs[i]);
		assert_non_null(t->fallback[i]);
	}
}

/* The net object as hostmond loads it (agent/probes/net_family.c), no event rate limit, owners from `owners`. */
static void net_load(struct net_test *t, enum owners owners)
{
	struct net_bpf *skel;
	bool retransmit_err = family_tp_args("tcp_retransmit_skb") == 3;

	t->skel = skel = net_bpf__open();
	assert_non_null(skel);
	skel->rodata->net_events_per_sec = 0;
	skel->rodata->self_tgid = 0;
	assert_int_equal(bpf_map__set_max_entries(skel->maps.exe_paths, 64), 0);
	bpf_program__set_autoload(skel->progs.net_retransmit, retransmit_err);
	bpf_program__set_autoload(skel->progs.net_retransmit_legacy, !retransmit_err);
	bpf_program__set_autoload(skel->progs.net_error_report,
				  family_tp_args("inet_sk_error_report") >= 0);
	bpf_program__set_autoattach(skel->progs.net_connect_enter, false);
	bpf_program__set_autoattach(skel->progs.net_connect_exit, false);
	bpf_program__set_autoattach(skel->progs.net_accept_exit, false);
	bpf_program__set_autoattach(skel->progs.net_accept4_exit, false);
	assert_int_equal(net_bpf__load(skel), 0);
	assert_int_equal(net_bpf__attach(skel), 0);
	if (owners == OWNERS_FALLBACK)
		attach_fallback(t);
	else if (owners == OWNERS_SYS_EXIT)
		load_sys_exit(t);
	t->ring = bpftest_ring__new(bpf_map__fd(skel->maps.events));
	assert_non_null(t->ring);
	assert_int_equal(bpftest_cgroup__new(&t->cg, "net"), 0);
}

/* What a scenario in the namespace reports back to the test. */
struct net_run {
	pid_t client, server;
	uint16_t client_port;
	int client_errno;	/* of the failed connect, read or recv */
};

/* A scenario: runs in a child, in a new network namespace and the test's cgroup. */
struct net_scenario {
	const struct net_test *t;
	int (*run)(const struct net_test *t, struct net_run *out);
	int report;		/* pipe: the struct net_run */
};

static int in_namespace(void *arg)
{
	struct net_scenario *s = arg;
	struct net_run out = { .server = getpid() };

	if (bpftest_cgroup__enter(&s->t->cg, 0) || unshare(CLONE_NEWNET) || bpftest_loopback_up())
		return 1;
	if (s->run(s->t, &out))
		return 1;
	return write(s->report, &out, sizeof(out)) == sizeof(out) ? 0 : 1;
}

/* Runs scenario run in a child; fails the test unless it ran to its end. */
static struct net_run run_in_namespace(const struct net_test *t,
				       int (*run)(const struct net_test *, struct net_run *))
{
	struct net_scenario s = { .t = t, .run = run };
	struct net_run out = {};
	int fds[2], status;

	assert_int_equal(pipe(fds), 0);
	s.report = fds[1];
	status = bpftest_wait(bpftest_fork(in_namespace, &s), 10000);
	close(fds[1]);
	bpftest_expect_eq("scenario's exit status", 0, status);
	bpftest_expect_eq("scenario's report size", sizeof(out), read(fds[0], &out, sizeof(out)));
	close(fds[0]);
	return out;
}

static struct sockaddr_in loopback(uint16_t port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

static uint16_t local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	return getsockname(fd, (struct sockaddr *)&a, &len) ? 0 : ntohs(a.sin_port);
}

/* A socket of type bound to 127.0.0.1 on a port the kernel picks (known before the error). */
static int bound_socket(int type, uint16_t *port)
{
	struct sockaddr_in a = loopback(0);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	*port = local_port(fd);
	return fd;
}

/* TCP connect() to t->port, where nothing listens in the new namespace. */
static int refused_connect(const struct net_test *t, struct net_run *out)
{
	struct sockaddr_in dst = loopback(t->port);
	int fd;

	prctl(PR_SET_NAME, "refused-client");
	out->client = getpid();
	fd = bound_socket(SOCK_STREAM, &out->client_port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0)
		return 1;
	out->client_errno = errno;
	close(fd);
	return 0;
}

/* conn_error records of one pid and kind: ctx is a struct net_event with those two set. */
static bool event_of(const void *data, size_t len, const void *ctx)
{
	const struct net_event *e = data, *want = ctx;

	return len >= sizeof(*e) && e->pid == want->pid && e->kind == want->kind;
}

/* The one conn_error of pid and kind; fails the test unless there is exactly one. */
static const struct net_event *one_event(struct net_test *t, pid_t pid, uint32_t kind,
					 const char *what)
{
	struct net_event want = { .pid = (uint32_t)pid, .kind = kind };

	bpftest_expect_eq(what, 1, bpftest_ring__wait(t->ring, event_of, &want, 1, 3000));
	return bpftest_ring__nth(t->ring, event_of, &want, 0);
}

static void expect_loopback(const char *what, const uint8_t *addr)
{
	uint32_t v4;

	memcpy(&v4, addr, sizeof(v4));
	bpftest_expect_eq(what, INADDR_LOOPBACK, ntohl(v4));
}

static uint64_t endpoint_count(const struct net_test *t, uint16_t port, uint8_t dir, uint32_t stat)
{
	struct net_ep_key key = { .port = port, .family = AF_INET, .protocol = IPPROTO_TCP,
				  .dir = dir, .stat = stat };
	uint32_t lo = htonl(INADDR_LOOPBACK);
	uint64_t n = 0;

	memcpy(key.addr, &lo, sizeof(lo));
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.endpoints), &key, &n))
		return 0;
	return n;
}

static uint64_t total(const struct net_test *t, uint32_t stat)
{
	return bpftest_percpu_u64(bpf_map__fd(t->skel->maps.totals), &stat);
}

static uint64_t cg_failures(const struct net_test *t)
{
	uint64_t n = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.net_cg_failures), &t->cg.id, &n))
		return 0;
	return n;
}

static void net_set_state_refused_connect_one_event_and_counts(void **state)
{
	struct net_test *t = *state;
	const struct net_event *e;
	struct net_run run;

	net_load(t, OWNERS_NONE);
	run = run_in_namespace(t, refused_connect);
	bpftest_expect_eq("connect()'s errno", ECONNREFUSED, run.client_errno);
	e = one_event(t, run.client, NET_KIND_REFUSED, "refused conn_error records of the client");
	bpftest_expect_eq("err", ECONNREFUSED, e->err);
	bpftest_expect_eq("connect", 1, e->connect);
	bpftest_expect_eq("family", AF_INET, e->family);
	bpftest_expect_eq("protocol", IPPROTO_TCP, e->protocol);
	bpftest_expect_eq("sport", run.client_port, e->sport);
	bpftest_expect_eq("dport", t->port, e->dport);
	expect_loopback("saddr", e->saddr);
	expect_loopback("daddr", e->daddr);
	assert_string_equal(e->comm, "refused-client");
	bpftest_expect_eq("endpoints{127.0.0.1:port out, attempts}", 1,
			  endpoint_count(t, t->port, NET_DIR_OUT, NET_STAT_ATTEMPTS));
	bpftest_expect_eq("endpoints{127.0.0.1:port out, refused}", 1,
			  endpoint_count(t, t->port, NET_DIR_OUT, NET_STAT_FAILURES + NET_KIND_REFUSED));
	bpftest_expect_ge("totals[attempts]", 1, total(t, NET_STAT_ATTEMPTS));
	bpftest_expect_ge("totals[refused]", 1, total(t, NET_STAT_FAILURES + NET_KIND_REFUSED));
	bpftest_expect_eq("net_cg_failures{the scenario's cgroup}", 1, cg_failures(t));
}

/*
 * A server that accepts one connection and closes it with a reset
 * (SO_LINGER 0), and a client (a child of the server, same namespace) that
 * connects and reads until the reset arrives.
 */
static int reset_client(const struct net_test *t, int report)
{
	struct sockaddr_in dst = loopback(t->port);
	struct net_run out = { .client = getpid() };
	char c;
	int fd;

	prctl(PR_SET_NAME, "reset-client");
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)))
		return 1;
	out.client_port = local_port(fd);
	if (read(fd, &c, 1) != -1)
		return 1;
	out.client_errno = errno;
	return write(report, &out, sizeof(out)) == sizeof(out) ? 0 : 1;
}

static int reset_server(const struct net_test *t, struct net_run *out)
{
	struct sockaddr_in a = loopback(t->port);
	struct linger hard = { .l_onoff = 1, .l_linger = 0 };
	int lfd, fd, fds[2], one = 1, status;
	pid_t client;

	prctl(PR_SET_NAME, "reset-server");
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1) || pipe(fds))
		return 1;
	client = fork();
	if (client == 0)
		_exit(reset_client(t, fds[1]));
	fd = accept(lfd, NULL, NULL);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard)) || close(fd))
		return 1;
	if (waitpid(client, &status, 0) != client || status != 0 ||
	    read(fds[0], out, sizeof(*out)) != sizeof(*out))
		return 1;
	out->server = getpid();
	close(lfd);
	return 0;
}

/* Both sides of a reset connection: named, addressed and counted for the server's endpoint. */
static void expect_reset_both_sides(struct net_test *t, const struct net_run *run)
{
	const struct net_event *e;

	bpftest_expect_eq("client's read() errno", ECONNRESET, run->client_errno);
	e = one_event(t, run->client, NET_KIND_RESET_RECEIVED,
		      "reset_received conn_error records of the client");
	bpftest_expect_eq("reset_received err", ECONNRESET, e->err);
	bpftest_expect_eq("reset_received sport", run->client_port, e->sport);
	bpftest_expect_eq("reset_received dport", t->port, e->dport);
	assert_string_equal(e->comm, "reset-client");
	e = one_event(t, run->server, NET_KIND_RESET_SENT,
		      "reset_sent conn_error records of the server (its owner from accept())");
	bpftest_expect_eq("reset_sent err", 0, e->err);
	bpftest_expect_eq("reset_sent sport", t->port, e->sport);
	bpftest_expect_eq("reset_sent dport", run->client_port, e->dport);
	expect_loopback("reset_sent saddr", e->saddr);
	expect_loopback("reset_sent daddr", e->daddr);
	assert_string_equal(e->comm, "reset-server");
	bpftest_expect_eq("endpoints{127.0.0.1:port out, reset_received}", 1,
			  endpoint_count(t, t->port, NET_DIR_OUT,
					 NET_STAT_FAILURES + NET_KIND_RESET_RECEIVED));
	bpftest_expect_eq("endpoints{127.0.0.1:port in, reset_sent}", 1,
			  endpoint_count(t, t->port, NET_DIR_IN, NET_STAT_FAILURES + NET_KIND_RESET_SENT));
	bpftest_expect_eq("net_cg_failures{the scenario's cgroup}", 2, cg_failures(t));
}

/* A connection reset in the namespace, with the accepting owner named by `owners`. */
static void reset_named_by(struct net_test *t, enum owners owners)
{
	struct net_run run;

	net_load(t, owners);
	run = run_in_namespace(t, reset_server);
	expect_reset_both_sides(t, &run);
}

static void net_receive_reset_net_send_reset_name_both_owners(void **state)
{
	reset_named_by(*state, OWNERS_FALLBACK);
}

static void sc_exit_net_exits_name_accepting_owner(void **state)
{
	reset_named_by(*state, OWNERS_SYS_EXIT);
}

/* A UDP datagram to t->port, where nothing listens: the ICMP error comes back on recv(). */
static int udp_refused(const struct net_test *t, struct net_run *out)
{
	struct sockaddr_in dst = loopback(t->port);
	char c = 'x';
	int fd;

	prctl(PR_SET_NAME, "udp-client");
	out->client = getpid();
	fd = bound_socket(SOCK_DGRAM, &out->client_port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) ||
	    send(fd, &c, 1, 0) != 1 || recv(fd, &c, 1, 0) != -1)
		return 1;
	out->client_errno = errno;
	close(fd);
	return 0;
}

static void net_error_report_udp_refused_names_connector(void **state)
{
	struct net_test *t = *state;
	const struct net_event *e;
	struct net_run run;

	net_load(t, OWNERS_FALLBACK);
	assert_true(bpf_program__fd(t->skel->progs.net_error_report) >= 0);
	run = run_in_namespace(t, udp_refused);
	bpftest_expect_eq("recv()'s errno", ECONNREFUSED, run.client_errno);
	e = one_event(t, run.client, NET_KIND_REFUSED,
		      "refused UDP conn_error records of the client (its owner from connect())");
	bpftest_expect_eq("protocol", IPPROTO_UDP, e->protocol);
	bpftest_expect_eq("err", ECONNREFUSED, e->err);
	bpftest_expect_eq("sport", run.client_port, e->sport);
	bpftest_expect_eq("dport", t->port, e->dport);
	assert_string_equal(e->comm, "udp-client");
	bpftest_expect_eq("net_cg_failures{the scenario's cgroup}", 1, cg_failures(t));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(net_set_state_refused_connect_one_event_and_counts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(net_receive_reset_net_send_reset_name_both_owners,
						setup, teardown),
		cmocka_unit_test_setup_teardown(sc_exit_net_exits_name_accepting_owner, setup,
						teardown),
		cmocka_unit_test_setup_teardown(net_error_report_udp_refused_names_connector, setup,
						teardown),
	};

	bpftest_init(argc, argv);
	return cmocka_run_group_tests_name("net.bpf.c", tests, NULL, NULL);
}
