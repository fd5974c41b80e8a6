/* What the per-program BPF tests share: cgroups, per-CPU sums, ring-buffer capture, children. */
#ifndef HOSTMON_BPFTEST_H
#define HOSTMON_BPFTEST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Include after cmocka.h. A failed comparison prints what was expected and what came. */
#define bpftest_expect_eq(what, expected, got)						\
	do {										\
		unsigned long long e_ = (expected), g_ = (got);				\
		if (e_ != g_) {								\
			print_error("%s: expected %llu, got %llu\n", (what), e_, g_);	\
			fail();								\
		}									\
	} while (0)

#define bpftest_expect_ge(what, least, got)						\
	do {										\
		unsigned long long l_ = (least), g_ = (got);				\
		if (g_ < l_) {								\
			print_error("%s: expected at least %llu, got %llu\n", (what), l_, g_); \
			fail();								\
		}									\
	} while (0)

/* A cgroup v2 directory the test made; removed by bpftest_cgroup__remove. */
struct bpftest_cgroup {
	char path[PATH_MAX];
	uint64_t id;		/* what bpf_get_current_cgroup_id() gives its members */
};

/* The cgroup v2 id of a directory on the cgroup2 mount (its file handle); 0 on failure. */
uint64_t bpftest_cgroup_id(const char *dir);
/* The cgroup v2 id of the calling process, from /proc/self/cgroup's "0::" line; 0 on failure. */
uint64_t bpftest_self_cgroup_id(void);
/* A new, empty cgroup named hostmon-bpftest-NAME-PID under the cgroup2 mount; 0 or -errno. */
int bpftest_cgroup__new(struct bpftest_cgroup *cg, const char *name);
/* Moves pid (0: the caller) into cg; 0 or -errno. */
int bpftest_cgroup__enter(const struct bpftest_cgroup *cg, pid_t pid);
/* Removes cg if it was made; accepts one never made (path empty). */
void bpftest_cgroup__remove(struct bpftest_cgroup *cg);

/* Sum over the possible CPUs of one u64 element of a per-CPU map; fails the test if unreadable. */
uint64_t bpftest_percpu_u64(int map_fd, const void *key);
/*
 * Reads one element of a per-CPU map whose values are value_size bytes: a
 * buffer of libbpf_num_possible_cpus() values, each rounded up to 8 bytes,
 * that the caller frees; *ncpu set. NULL (test failed) if unreadable.
 */
void *bpftest_percpu_read(int map_fd, const void *key, size_t value_size, int *ncpu);
/* The value of CPU cpu in a buffer from bpftest_percpu_read. */
const void *bpftest_percpu_at(const void *values, size_t value_size, int cpu);

/* Every record of one BPF ring buffer, copied as they arrive. */
struct bpftest_ring;

struct bpftest_ring *bpftest_ring__new(int map_fd);
void bpftest_ring__free(struct bpftest_ring *r);
/* Records match() accepts (ctx passed through), counted over all received so far. */
typedef bool (*bpftest_match)(const void *data, size_t len, const void *ctx);
/*
 * Reads the ring until want records match or timeout_ms passes, then for a
 * short while more (so that a duplicate shows); returns how many match.
 */
size_t bpftest_ring__wait(struct bpftest_ring *r, bpftest_match match, const void *ctx,
			  size_t want, int timeout_ms);
/* The i-th record (0-based) that match() accepts, or NULL. */
const void *bpftest_ring__nth(const struct bpftest_ring *r, bpftest_match match, const void *ctx,
			      size_t i);

/*
 * Runs fn(arg) in a child process that then exits 0 (or 1 when fn returns
 * non-zero), with the default action for the signals cmocka catches.
 */
pid_t bpftest_fork(int (*fn)(void *arg), void *arg);
/* waitpid() with a timeout: the wait status, or -1 (the child killed) after timeout_ms. */
int bpftest_wait(pid_t pid, int timeout_ms);

/* Loopback up in the caller's (new) network namespace; 0 or -errno. */
int bpftest_loopback_up(void);

/*
 * From main: argv[1], if given, runs only the tests it names (cmocka's
 * filter: * and ? match); libbpf's warnings on stderr, its info only with
 * BPFTEST_VERBOSE set; a word when not root, as every test would fail to load.
 */
void bpftest_init(int argc, char **argv);

#endif /* HOSTMON_BPFTEST_H */
