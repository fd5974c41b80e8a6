/* What the per-program BPF tests share: cgroups, per-CPU sums, ring-buffer capture, children. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpftest.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

/* Where cgroup v2 is mounted: alone, or beside v1 hierarchies (systemd's hybrid layout). */
static const char *cgroup2_root(void)
{
	static const char *const candidates[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	struct statfs fs;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (!statfs(candidates[i], &fs) && fs.f_type == CGROUP2_SUPER_MAGIC)
			return candidates[i];
	return NULL;
}

uint64_t bpftest_cgroup_id(const char *dir)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	uint64_t id;
	int mount_id;

	if (name_to_handle_at(AT_FDCWD, dir, &h.fh, &mount_id, 0))
		return 0;
	memcpy(&id, h.fh.f_handle, sizeof(id));
	return id;
}

uint64_t bpftest_self_cgroup_id(void)
{
	const char *root = cgroup2_root();
	char line[PATH_MAX], dir[2 * PATH_MAX];
	uint64_t id = 0;
	FILE *f;

	if (!root || !(f = fopen("/proc/self/cgroup", "r")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(dir, sizeof(dir), "%s%s", root, line + 3);
		id = bpftest_cgroup_id(dir);
	}
	fclose(f);
	return id;
}

int bpftest_cgroup__new(struct bpftest_cgroup *cg, const char *name)
{
	const char *root = cgroup2_root();

	memset(cg, 0, sizeof(*cg));
	if (!root)
		return -ENOENT;
	snprintf(cg->path, sizeof(cg->path), "%s/hostmon-bpftest-%s-%d", root, name, (int)getpid());
	if (mkdir(cg->path, 0755)) {
		int err = -errno;

		cg->path[0] = 0;
		return err;
	}
	cg->id = bpftest_cgroup_id(cg->path);
	return cg->id ? 0 : -EIO;
}

int bpftest_cgroup__enter(const struct bpftest_cgroup *cg, pid_t pid)
{
	char procs[PATH_MAX + 16], text[16];
	int fd, n, err = 0;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg->path);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(text, sizeof(text), "%d", (int)pid);
	if (write(fd, text, n) != n)
		err = -errno;
	close(fd);
	return err;
}

/* The cgroup empties once its last member is reaped; rmdir may race that for a moment. */
void bpftest_cgroup__remove(struct bpftest_cgroup *cg)
{
	if (!cg->path[0])
		return;
	for (int i = 0; i < 100 && rmdir(cg->path) && errno == EBUSY; i++)
		sleep_ms(10);
	cg->path[0] = 0;
}

void *bpftest_percpu_read(int map_fd, const void *key, size_t value_size, int *ncpu)
{
	size_t stride = (value_size + 7) / 8 * 8;
	void *values;

	*ncpu = libbpf_num_possible_cpus();
	assert_true(*ncpu > 0);
	values = calloc(*ncpu, stride);
	assert_non_null(values);
	if (bpf_map_lookup_elem(map_fd, key, values)) {
		fprintf(stderr, "bpftest: per-CPU map lookup failed: %s\n", strerror(errno));
		free(values);
		values = NULL;
		fail();
	}
	return values;
}

const void *bpftest_percpu_at(const void *values, size_t value_size, int cpu)
{
	return (const char *)values + (size_t)cpu * ((value_size + 7) / 8 * 8);
}

uint64_t bpftest_percpu_u64(int map_fd, const void *key)
{
	int ncpu;
	uint64_t *v = bpftest_percpu_read(map_fd, key, sizeof(uint64_t), &ncpu), sum = 0;

	for (int cpu = 0; cpu < ncpu; cpu++)
		sum += v[cpu];
	free(v);
	return sum;
}

struct bpftest_record {
	size_t len;
	void *data;
};

struct bpftest_ring {
	struct ring_buffer *rb;
	struct bpftest_record *recs;
	size_t n, cap;
};

static int keep_record(void *ctx, void *data, size_t len)
{
	struct bpftest_ring *r = ctx;
	struct bpftest_record *recs;

	if (r->n == r->cap) {
		recs = realloc(r->recs, (r->cap * 2 + 64) * sizeof(*recs));
		if (!recs)
			return -ENOMEM;
		r->recs = recs;
		r->cap = r->cap * 2 + 64;
	}
	r->recs[r->n].data = malloc(len);
	if (!r->recs[r->n].data)
		return -ENOMEM;
	memcpy(r->recs[r->n].data, data, len);
	r->recs[r->n++].len = len;
	return 0;
}

struct bpftest_ring *bpftest_ring__new(int map_fd)
{
	struct bpftest_ring *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->rb = ring_buffer__new(map_fd, keep_record, r, NULL);
	if (!r->rb) {
		free(r);
		return NULL;
	}
	return r;
}

void bpftest_ring__free(struct bpftest_ring *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	for (size_t i = 0; i < r->n; i++)
		free(r->recs[i].data);
	free(r->recs);
	free(r);
}

static size_t count_matching(const struct bpftest_ring *r, bpftest_match match, const void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += match(r->recs[i].data, r->recs[i].len, ctx);
	return n;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A duplicate would be written by the same program moments after the first record. */
#define BPFTEST_SETTLE_MS	200

size_t bpftest_ring__wait(struct bpftest_ring *r, bpftest_match match, const void *ctx,
			  size_t want, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	while (count_matching(r, match, ctx) < want && now_ms() < deadline)
		ring_buffer__poll(r->rb, 50);
	deadline = now_ms() + BPFTEST_SETTLE_MS;
	while (now_ms() < deadline)
		ring_buffer__poll(r->rb, 50);
	return count_matching(r, match, ctx);
}

const void *bpftest_ring__nth(const struct bpftest_ring *r, bpftest_match match, const void *ctx,
			      size_t i)
{
	for (size_t k = 0; k < r->n; k++)
		if (match(r->recs[k].data, r->recs[k].len, ctx) && i-- == 0)
			return r->recs[k].data;
	return NULL;
}

pid_t bpftest_fork(int (*fn)(void *arg), void *arg)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka catches these in the test process; a child dies of them as any process does. */
		static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		_exit(fn(arg) ? 1 : 0);
	}
	return pid;
}

int bpftest_wait(pid_t pid, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int status;

	while (now_ms() < deadline) {
		pid_t got = waitpid(pid, &status, WNOHANG);

		if (got == pid)
			return status;
		if (got < 0)
			return -1;
		sleep_ms(5);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int bpftest_loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			err = -errno;
	} else {
		err = -errno;
	}
	close(fd);
	return err;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && !getenv("BPFTEST_VERBOSE")))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void bpftest_init(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	libbpf_set_print(print_libbpf);
	if (geteuid() != 0)
		fprintf(stderr, "bpftest: these tests load BPF programs and make cgroups and "
			"network namespaces: run them as root (make test-bpf)\n");
}
