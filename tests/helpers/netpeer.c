/*
 * netpeer MODE ARGS: both ends of the connections the net tests make; every
 * mode prints one line "PID RESULT" (RESULT: errno, bytes or nanoseconds).
 *   connect ADDR PORT        TCP connect; RESULT = errno (0: connected)
 *   udp ADDR PORT            connected UDP send then recv; RESULT = recv's errno
 *   reset-client ADDR PORT   connect, read until an error; RESULT = errno
 *   reset-server PORT        accept one connection, close it with a reset (SO_LINGER 0)
 *   abort ADDR PORT HOLD_MS  connect, stay HOLD_MS, close with a reset; RESULT = errno
 *   accept-loop PORT N       accept and close N connections
 *   sink PORT                accept one connection, read it to the end; RESULT = bytes
 *   send ADDR PORT BYTES     connect, write BYTES, wait for the peer to close
 *   latency ADDR PORT N      N sequential connects; RESULT = p95 of their times (ns),
 *                            then p95 of the handshake RTTs the kernel measured (ns)
 *   unreach N                connects to N distinct addresses 10.x.y.z:80; RESULT = errors
 *   refuse-loop ADDR PORT N HOLD_MS
 *                            N sequential TCP connects, then HOLD_MS alive (so its /proc
 *                            can be read); RESULT = connects refused
 *   fork-refuse ADDR PORT N HOLD_MS
 *                            refuse-loop in a forked child that never execs (the child
 *                            prints its line), then waits for it
 *   pid-reuse ADDR PORT EXE  a child makes one refused connect and stays 500 ms; then
 *                            children are forked until one gets its pid again, which
 *                            execs EXE refuse-loop ADDR PORT 1 500; RESULT = that pid
 * Servers listen on all addresses (IPv4 and IPv6) and print "ready" first.
 */
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "helpers.h"

static void result(long long v)
{
	printf("%d %lld\n", getpid(), v);
	if (fflush(stdout) == EOF)
		exit(1);
}

static int resolve(const char *addr, const char *port, int type, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = type, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;

	if (getaddrinfo(addr, port, &hints, &ai)) {
		fprintf(stderr, "netpeer: bad address %s port %s\n", addr, port);
		exit(2);
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return ss->ss_family;
}

/* A connected socket, or -errno. */
static int dial(const char *addr, const char *port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err;

	fd = socket(resolve(addr, port, type, &ss, &len), type, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int listen_on(const char *port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	uint64_t p;
	int fd, one = 1, zero = 0;

	if (parse_u64(port, 65535, &p))
		exit(2);
	sa.sin6_port = htons((uint16_t)p);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096)) {
		perror("netpeer: listen");
		exit(1);
	}
	printf("ready\n");
	if (fflush(stdout) == EOF)
		exit(1);
	return fd;
}

static int accept_one(int lfd)
{
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0) {
		perror("netpeer: accept");
		exit(1);
	}
	return fd;
}

/* Reads until EOF or error; returns bytes read, or -errno. */
static long long drain(int fd)
{
	char buf[65536];
	long long total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	return n < 0 ? -errno : total;
}

static int mode_udp(const char *addr, const char *port)
{
	int fd = dial(addr, port, SOCK_DGRAM);
	char c = 0;

	if (fd < 0) {
		result(-fd);
		return 0;
	}
	if (send(fd, &c, 1, 0) < 0 || recv(fd, &c, 1, 0) < 0)
		result(errno);
	else
		result(0);
	return 0;
}

/* Closes fd with a reset instead of a FIN. */
static void close_with_reset(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static int mode_reset_server(const char *port)
{
	int fd = accept_one(listen_on(port));

	/* Let the client block in read() first. */
	usleep(100000);
	close_with_reset(fd);
	result(0);
	return 0;
}

/* The peer gets a reset on a connection it has accepted (given HOLD_MS to do so). */
static int mode_abort(const char *addr, const char *port, uint64_t hold_ms)
{
	int fd = dial(addr, port, SOCK_STREAM);

	if (fd < 0) {
		result(-fd);
		return 1;
	}
	usleep(hold_ms * 1000);
	close_with_reset(fd);
	result(0);
	return 0;
}

static int mode_accept_loop(const char *port, unsigned long n)
{
	int lfd = listen_on(port);

	for (unsigned long i = 0; i < n; i++)
		close(accept_one(lfd));
	result((long long)n);
	return 0;
}

static int mode_send(const char *addr, const char *port, unsigned long bytes)
{
	static char buf[65536];
	int fd = dial(addr, port, SOCK_STREAM);
	unsigned long sent = 0;
	ssize_t n;

	if (fd < 0) {
		result(-fd);
		return 1;
	}
	while (sent < bytes) {
		n = write(fd, buf, bytes - sent < sizeof(buf) ? bytes - sent : sizeof(buf));
		if (n < 0) {
			result(errno);
			return 1;
		}
		sent += (unsigned long)n;
	}
	shutdown(fd, SHUT_WR);
	drain(fd);
	result((long long)sent);
	return 0;
}

/* The handshake's round trip as the kernel measured it (the first RTT sample), in ns. */
static uint64_t handshake_ns(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return 0;
	return (uint64_t)ti.tcpi_rtt * 1000;
}

/*
 * p95s (nearest rank, as hostmond computes them) of the time connect() takes
 * and of the handshake round trip the kernel measured (TCP_INFO), which does
 * not include the caller's wake-up.
 */
static int mode_latency(const char *addr, const char *port, unsigned long n)
{
	uint64_t *v = calloc(n, sizeof(*v)), *rtt = calloc(n, sizeof(*rtt)), t0;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, family = resolve(addr, port, SOCK_STREAM, &ss, &len);

	if (!v || !rtt)
		goto fail;
	for (unsigned long i = 0; i < n; i++) {
		fd = socket(family, SOCK_STREAM, 0);
		t0 = now_ns();
		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len)) {
			fprintf(stderr, "netpeer: connect %lu: %s\n", i, strerror(errno));
			goto fail;
		}
		v[i] = now_ns() - t0;
		rtt[i] = handshake_ns(fd);
		close(fd);
	}
	printf("%d %llu %llu\n", getpid(), (unsigned long long)p95_u64(v, n),
	       (unsigned long long)p95_u64(rtt, n));
	free(rtt);
	free(v);
	return 0;
fail:
	free(rtt);
	free(v);
	return 1;
}

static int mode_unreach(unsigned long n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(80) };
	long long errors = 0;
	int fd;

	for (unsigned long i = 0; i < n; i++) {
		sa.sin_addr.s_addr = htonl(0x0a000000 | (uint32_t)(i + 1));
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return 1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno == ENETUNREACH)
			errors++;
		close(fd);
	}
	result(errors);
	return 0;
}

static int mode_refuse_loop(const char *addr, const char *port, uint64_t n, uint64_t hold_ms)
{
	uint64_t refused = 0;
	int fd;

	for (uint64_t i = 0; i < n; i++) {
		fd = dial(addr, port, SOCK_STREAM);
		if (fd == -ECONNREFUSED)
			refused++;
		else if (fd >= 0)
			close(fd);
	}
	usleep(hold_ms * 1000);
	result((long long)refused);
	return 0;
}

/* A process whose program the kernel never saw it exec: its parent's, by fork alone. */
static int mode_fork_refuse(const char *addr, const char *port, uint64_t n, uint64_t hold_ms)
{
	int status;
	pid_t child;

	/* Nothing buffered may be written twice, by both processes. */
	if (fflush(stdout))
		return 1;
	child = fork();
	if (child == 0)
		_exit(mode_refuse_loop(addr, port, n, hold_ms));
	if (child < 0 || waitpid(child, &status, 0) != child || status) {
		fprintf(stderr, "netpeer: the forked child failed\n");
		return 1;
	}
	return 0;
}

/*
 * Forks until a child gets pid (pids wrap at pid_max); that child runs argv.
 * -1 if it never comes. vfork: a child that only exits or execs need not copy
 * the address space, which makes a whole cycle of pids take seconds, not more.
 */
static pid_t fork_until(pid_t pid, char **argv)
{
	int status;
	pid_t child;

	for (long tries = 0; tries < 200000; tries++) {
		/* 200,000 children in a row: vfork copies no page tables. */
		/* cppcheck-suppress vforkCalled */
		child = vfork(); /* NOLINT(clang-analyzer-security.insecureAPI.vfork): as above */
		if (child < 0)
			return -1;
		if (child == 0) {
			/* getpid only reads the task's pid: nothing of the parent's is touched. */
			if (getpid() == pid) /* NOLINT(clang-analyzer-unix.Vfork): as above */
				execv(argv[0], argv);
			_exit(0);
		}
		waitpid(child, &status, 0);
		if (child == pid)
			return child;
	}
	return -1;
}

static int mode_pid_reuse(char *addr, char *port, char *exe)
{
	char *args[] = { exe, "refuse-loop", addr, port, "1", "500", NULL };
	int status, fd;
	pid_t first;

	if (fflush(stdout))
		return 1;
	first = fork();
	if (first == 0) {
		fd = dial(addr, port, SOCK_STREAM);
		usleep(500000);
		_exit(fd == -ECONNREFUSED ? 0 : 1);
	}
	if (first < 0 || waitpid(first, &status, 0) != first || status) {
		fprintf(stderr, "netpeer: the first child's connect was not refused\n");
		return 1;
	}
	if (fork_until(first, args) != first) {
		fprintf(stderr, "netpeer: pid %d never came back\n", (int)first);
		return 1;
	}
	result(first);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	uint64_t n = 0, hold = 0;
	int fd;

	if (!strcmp(mode, "connect") && argc == 4) {
		fd = dial(argv[2], argv[3], SOCK_STREAM);
		result(fd < 0 ? -fd : 0);
		return 0;
	}
	if (!strcmp(mode, "udp") && argc == 4)
		return mode_udp(argv[2], argv[3]);
	if (!strcmp(mode, "reset-client") && argc == 4) {
		fd = dial(argv[2], argv[3], SOCK_STREAM);
		result(fd < 0 ? -fd : -drain(fd));
		return 0;
	}
	if (!strcmp(mode, "reset-server") && argc == 3)
		return mode_reset_server(argv[2]);
	if (!strcmp(mode, "abort") && argc == 5 && !parse_u64(argv[4], 600000, &hold))
		return mode_abort(argv[2], argv[3], hold);
	if (!strcmp(mode, "accept-loop") && argc == 4 && !parse_u64(argv[3], 10000000, &n))
		return mode_accept_loop(argv[2], n);
	if (!strcmp(mode, "sink") && argc == 3) {
		result(drain(accept_one(listen_on(argv[2]))));
		return 0;
	}
	if (!strcmp(mode, "send") && argc == 5 && !parse_u64(argv[4], 1UL << 40, &n))
		return mode_send(argv[2], argv[3], n);
	if (!strcmp(mode, "latency") && argc == 5 && !parse_u64(argv[4], 1000000, &n) && n)
		return mode_latency(argv[2], argv[3], n);
	if (!strcmp(mode, "unreach") && argc == 3 && !parse_u64(argv[2], 16000000, &n))
		return mode_unreach(n);
	if (!strcmp(mode, "refuse-loop") && argc == 6 && !parse_u64(argv[4], 10000000, &n) &&
	    !parse_u64(argv[5], 600000, &hold))
		return mode_refuse_loop(argv[2], argv[3], n, hold);
	if (!strcmp(mode, "fork-refuse") && argc == 6 && !parse_u64(argv[4], 10000000, &n) &&
	    !parse_u64(argv[5], 600000, &hold))
		return mode_fork_refuse(argv[2], argv[3], n, hold);
	if (!strcmp(mode, "pid-reuse") && argc == 5)
		return mode_pid_reuse(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: see the comment at the top of netpeer.c\n");
	return 2;
}
