/* hostmonctl selftest: make this host produce one of each signal and check that the running agent saw it. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "ctl.h"
#include "probes/crashtally.h"	/* the canary's names (header only) */

#define SELFTEST_WAIT_MS	5000	/* for each event to show on /events */
#define SELFTEST_KAFKA_MS	15000	/* for the broker to acknowledge them */
#define SELFTEST_SLOW_MIN_MS	50

/* What one stage made happen, and how to recognise the agent's record of it. */
struct stage {
	const char *name;
	const char *type;	/* record type on /events */
	pid_t pid;
	const char *field;	/* NULL, or a field that must equal want */
	long long want;
	uint64_t seq;		/* the record's seq once seen */
	char detail[160];
	bool done;		/* the host did produce it */
};

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static long long jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/*
 * A child blocks in read(2) on an empty pipe for ms: one slow `read` in the
 * agent's eyes (read is not among the syscalls that block by design).
 */
static int make_slow_syscall(struct stage *s, long ms)
{
	int fds[2];
	char b;

	if (pipe(fds))
		return -errno;
	s->pid = fork();
	if (s->pid < 0)
		return -errno;
	if (s->pid == 0) {
		close(fds[1]);
		_exit(read(fds[0], &b, 1) == 1 ? 0 : 1);
	}
	close(fds[0]);
	sleep_ms(ms);
	if (write(fds[1], "x", 1) != 1)
		return -errno;
	close(fds[1]);
	waitpid(s->pid, NULL, 0);
	snprintf(s->detail, sizeof(s->detail), "read blocked %ld ms in pid %d", ms, (int)s->pid);
	return 0;
}

/* A TCP connect to a loopback port just freed: refused (ECONNREFUSED), by this process. */
static int make_refused_connect(struct stage *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		return fd < 0 ? -errno : (err = -errno, close(fd), err);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (struct sockaddr *)&a, sizeof(a)) ? errno : 0;
	close(fd);
	if (err != ECONNREFUSED)
		return err ? -err : -EISCONN;
	s->pid = getpid();
	s->field = "dport";
	s->want = ntohs(a.sin_port);
	snprintf(s->detail, sizeof(s->detail), "connect to 127.0.0.1:%u refused in pid %d",
		 (unsigned int)ntohs(a.sin_port), (int)s->pid);
	return 0;
}

void ctl_canary_crash(void)
{
	/* It dies of SIGSEGV either way; no core is only a courtesy. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)prctl(PR_SET_NAME, CRASHTALLY_CANARY_COMM, 0, 0, 0);
	(void)signal(SIGSEGV, SIG_DFL);
	(void)raise(SIGSEGV);
	/* cppcheck-suppress unreachableCode ; should the signal not kill it */
	_exit(0);
}

/*
 * A child dies of SIGSEGV (not dumpable: no core file left behind), named
 * as the agent's canary so it marks the record canary and no alert counts it.
 * It runs hostmonctl again (CTL_CANARY_ARG) rather than crashing as a fork:
 * an exec puts its executable in the kernel's exe map, where the agent finds
 * it on kernels whose exit tracepoint no longer has the process's memory
 * (before 6.16); a fork that never execs has no entry there.
 */
static int make_crash(struct stage *s)
{
	int status;

	s->pid = fork();
	if (s->pid < 0)
		return -errno;
	if (s->pid == 0) {
		execl("/proc/self/exe", CRASHTALLY_CANARY_COMM, CTL_CANARY_ARG, (char *)NULL);
		ctl_canary_crash();	/* no exec: crash as the fork */
	}
	if (waitpid(s->pid, &status, 0) < 0)
		return -errno;
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
		return -ECHILD;
	s->field = "signal";
	s->want = SIGSEGV;
	snprintf(s->detail, sizeof(s->detail), "pid %d (%s) died of SIGSEGV, marked canary",
		 (int)s->pid, CRASHTALLY_CANARY_COMM);
	return 0;
}

static bool matches(const struct stage *s, struct json_object *ev)
{
	if (strcmp(jstr(ev, "type"), s->type) || jint(ev, "pid") != s->pid)
		return false;
	if (!strcmp(s->type, "slow_syscall") && strcmp(jstr(ev, "syscall"), "read"))
		return false;
	if (!strcmp(s->type, "conn_error") && strcmp(jstr(ev, "kind"), "refused"))
		return false;
	if (!strcmp(s->type, "process_crash") && !json_object_get_boolean(
		    json_object_object_get(ev, "canary")))
		return false;
	return !s->field || jint(ev, s->field) == s->want;
}

/*
 * Follows /events from since until every stage that happened is seen or the
 * wait is over; pages of 1000, so a busy host does not hide them.
 */
static int find_events(const struct ctl *c, uint64_t since, struct stage *st, int n)
{
	struct timespec t0, now;
	char path[96];
	int left = 0;

	for (int i = 0; i < n; i++)
		left += st[i].done;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (left > 0) {
		struct json_object *body, *events;

		snprintf(path, sizeof(path), "/events?since=%" PRIu64 "&limit=1000", since);
		body = ctl_fetch(c, "GET", path, NULL, false);
		if (!body)
			return -EIO;
		json_object_object_get_ex(body, "events", &events);
		for (size_t k = 0; k < json_object_array_length(events); k++) {
			struct json_object *ev = json_object_array_get_idx(events, k);

			for (int i = 0; i < n; i++)
				if (st[i].done && !st[i].seq && matches(&st[i], ev)) {
					st[i].seq = (uint64_t)jint(ev, "seq");
					left--;
				}
		}
		since = (uint64_t)jint(body, "next_since");
		json_object_put(body);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >
		    SELFTEST_WAIT_MS)
			break;
		if (left > 0)
			sleep_ms(100);
	}
	return 0;
}

/* -1: no Kafka sink; else its delivered_seq, with state and last_error copied out. */
static long long kafka_progress(const struct ctl *c, char *state, size_t n, char *err, size_t errn)
{
	struct json_object *h = ctl_fetch(c, "GET", "/health", NULL, true), *k;
	long long seq = -1;

	if (h && json_object_object_get_ex(h, "kafka", &k)) {
		seq = jint(k, "delivered_seq");
		snprintf(state, n, "%s", jstr(k, "state"));
		snprintf(err, errn, "%s", jstr(k, "last_error"));
	}
	json_object_put(h);
	return seq;
}

/*
 * With a Kafka sink: the broker acknowledged every seen record (acks come in
 * order on the one partition a host's key picks, so delivered_seq at or past
 * the highest is all of them). Returns 1 for a failure, 0 otherwise (also
 * without Kafka: nothing printed then).
 */
static int check_kafka(const struct ctl *c, const struct stage *st, int n)
{
	char state[32] = "", err[256] = "";
	uint64_t want = 0;
	long long got;

	for (int i = 0; i < n; i++)
		if (st[i].seq > want)
			want = st[i].seq;
	for (int waited = 0;; waited += 100) {
		got = kafka_progress(c, state, sizeof(state), err, sizeof(err));
		if (got < 0)
			return 0;
		if (want && (uint64_t)got >= want) {
			printf("PASS kafka: the broker acknowledged every record up to seq %llu (seq %"
			       PRIu64 " needed)\n", got, want);
			return 0;
		}
		if (!want || waited >= SELFTEST_KAFKA_MS)
			break;
		sleep_ms(100);
	}
	printf("FAIL kafka: %s, acknowledged up to seq %lld of %" PRIu64 " within %d ms "
	       "(sink %s%s%s)\n", want ? "not delivered" : "no record of the self-test to look for",
	       got, want, SELFTEST_KAFKA_MS, state, *err ? ": " : "", err);
	return 1;
}

/* The newest event's seq now, so only what happens next is looked at. */
static int events_head(const struct ctl *c, uint64_t *since)
{
	struct json_object *body = ctl_fetch(c, "GET", "/events?limit=1", NULL, false);

	if (!body)
		return -EIO;
	*since = (uint64_t)jint(body, "next_since");
	json_object_put(body);
	return 0;
}

/* The agent answers and runs; its slow threshold sets how long the slow read must be. */
static int check_agent(const struct ctl *c, long *slow_ms)
{
	struct json_object *h = ctl_fetch(c, "GET", "/health", NULL, false), *cfg;
	const char *state;
	long long thr = -1;

	if (!h) {
		printf("FAIL agent: no answer on %s\n", c->sock);
		return -EIO;
	}
	state = jstr(h, "state");
	if (json_object_object_get_ex(h, "config", &cfg))
		thr = jint(cfg, "slow_threshold_us");
	if (strcmp(state, "running") && strcmp(state, "degraded")) {
		printf("FAIL agent: state %s (%s)\n", state, jstr(h, "reason"));
		json_object_put(h);
		return -EAGAIN;
	}
	*slow_ms = thr > 0 ? thr / 1000 * 2 + 20 : SELFTEST_SLOW_MIN_MS;
	if (*slow_ms < SELFTEST_SLOW_MIN_MS)
		*slow_ms = SELFTEST_SLOW_MIN_MS;
	printf("PASS agent: state %s (%s)\n", state, jstr(h, "reason"));
	json_object_put(h);
	return 0;
}

/* One line per stage; the number that failed. */
static int report_stages(const struct stage *st, int n)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		if (!st[i].done) {
			failed++;
		} else if (st[i].seq) {
			printf("PASS %s: %s, seen as seq %" PRIu64 "\n", st[i].name, st[i].detail,
			       st[i].seq);
		} else {
			printf("FAIL %s: %s, not seen by the agent within %d ms\n", st[i].name,
			       st[i].detail, SELFTEST_WAIT_MS);
			failed++;
		}
	}
	return failed;
}

int ctl_selftest(const struct ctl *c, int argc, char **argv)
{
	struct stage st[] = {
		{ .name = "slow_syscall", .type = "slow_syscall" },
		{ .name = "conn_error", .type = "conn_error" },
		{ .name = "process_crash", .type = "process_crash" },
	};
	const int n = sizeof(st) / sizeof(st[0]);
	char kstate[32], kerr[256];
	int err, failed, stages = n + 1;
	uint64_t since;
	long slow_ms;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "hostmonctl: selftest takes no arguments\n");
		return 2;
	}
	if (check_agent(c, &slow_ms) || events_head(c, &since))
		return 1;
	/* Each stage that cannot make its signal happen fails here, with why. */
	for (int i = 0; i < n; i++) {
		err = i == 0 ? make_slow_syscall(&st[i], slow_ms) :
		      i == 1 ? make_refused_connect(&st[i]) : make_crash(&st[i]);
		st[i].done = !err;
		if (err)
			printf("FAIL %s: could not make one: %s\n", st[i].name, strerror(-err));
	}
	if (find_events(c, since, st, n))
		return 1;
	failed = report_stages(st, n);
	if (kafka_progress(c, kstate, sizeof(kstate), kerr, sizeof(kerr)) >= 0) {
		failed += check_kafka(c, st, n);
		stages++;
	}
	printf("selftest: %s (%d of %d stages failed)\n", failed ? "FAIL" : "PASS", failed, stages);
	return failed ? 1 : 0;
}
