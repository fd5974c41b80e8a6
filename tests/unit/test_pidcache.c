/* Unit tests of agent/probes/pidcache.c: container ids from cgroup paths, and the LRU over a fake /proc. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "probes/pidcache.h"

#define ID_A "3f1c0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c"
#define ID_B "9b2e4c6a8d0f1e3c5a7b9d1f3e5c7a9b0d2f4e6c8a0b1d3f5e7c9a1b3d5f7e9c"

static void expect_id(const char *path, const char *want)
{
	char id[PIDCACHE_ID_LEN + 1];
	int err = pidcache_container_id(path, id);

	if (!want) {
		if (err != -ENOENT)
			fail_msg("%s: expected no container id, got '%s'", path, id);
		return;
	}
	if (err)
		fail_msg("%s: expected %s, got error %d", path, want, err);
	assert_string_equal(id, want);
}

static void test_container_id_from_runtime_cgroup_paths(void **state)
{
	(void)state;
	/* Docker, systemd driver and cgroupfs driver. */
	expect_id("/system.slice/docker-" ID_A ".scope", ID_A);
	expect_id("/docker/" ID_A, ID_A);
	/* containerd and CRI-O under Kubernetes (systemd driver), pod slices above. */
	expect_id("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_5f60_"
		  "7182_93a4_b5c6d7e8f901.slice/cri-containerd-" ID_A ".scope", ID_A);
	expect_id("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podaa.slice/crio-"
		  ID_B ".scope", ID_B);
	/* Kubernetes with the cgroupfs driver: a bare id under kubepods. */
	expect_id("/kubepods/burstable/pod1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901/" ID_B, ID_B);
	/* Podman, systemd and cgroupfs drivers. */
	expect_id("/machine.slice/libpod-" ID_A ".scope", ID_A);
	expect_id("/libpod_parent/libpod-" ID_B, ID_B);
	/* Inside the container's cgroup: the nearest container component wins. */
	expect_id("/system.slice/docker-" ID_A ".scope/init.scope", ID_A);
}

static void test_no_container_id_for_host_and_lookalike_paths(void **state)
{
	(void)state;
	expect_id("/", NULL);
	expect_id("", NULL);
	expect_id("/user.slice/user-1000.slice/session-3.scope", NULL);
	expect_id("/system.slice/docker.service", NULL);
	/* The runtime's helper processes, not a container. */
	expect_id("/machine.slice/libpod-conmon-" ID_A ".scope", NULL);
	expect_id("/system.slice/crio-conmon-" ID_A ".scope", NULL);
	/* A bare 64-hex name outside docker/ or kubepods, a short id, upper case, a 65th digit. */
	expect_id("/process_api/" ID_A, NULL);
	expect_id("/docker/3f1c0d9e8b7a", NULL);
	expect_id("/system.slice/docker-3F1C0D9E8B7A6F5E4D3C2B1A09F8E7D6C5B4A39281706F5E4D3C2B1A0F9E8D7C.scope",
		  NULL);
	expect_id("/docker/" ID_A "0", NULL);
	assert_int_equal(pidcache_container_id(NULL, (char[PIDCACHE_ID_LEN + 1]){ 0 }), -ENOENT);
}

/* --- The cache over a fake /proc ---------------------------------------------- */

struct fake {
	char root[64];
};

static long ns_per_tick(void)
{
	return 1000000000L / sysconf(_SC_CLK_TCK);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* root/PID with stat (starttime from start_ns), comm, exe -> exe, cgroup (hybrid host's lines). */
static void fake_proc(struct fake *fk, unsigned int pid, uint64_t start_ns, const char *comm,
		      const char *exe, const char *cgroup2, const char *memcg)
{
	char dir[128], path[192], text[1024];

	snprintf(dir, sizeof(dir), "%s/%u", fk->root, pid);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/stat", dir);
	/* A comm with blanks and a ')' must not shift the fields. */
	snprintf(text, sizeof(text), "%u (%s) x) S 1 %u %u 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
		 "%llu 2351104 200 18446744073709551615\n", pid, comm, pid, pid,
		 (unsigned long long)(start_ns / (uint64_t)ns_per_tick()));
	write_file(path, text);
	snprintf(path, sizeof(path), "%s/comm", dir);
	snprintf(text, sizeof(text), "%s\n", comm);
	write_file(path, text);
	snprintf(path, sizeof(path), "%s/exe", dir);
	unlink(path);
	assert_int_equal(symlink(exe, path), 0);
	snprintf(path, sizeof(path), "%s/cgroup", dir);
	snprintf(text, sizeof(text), "9:name=systemd:/\n4:memory:%s\n1:cpu:/\n0::%s\n", memcg, cgroup2);
	write_file(path, text);
}

static void fake_gone(struct fake *fk, unsigned int pid)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/%u", fk->root, pid);
	assert_int_equal(system(cmd), 0);
}

static int fake_setup(void **state)
{
	struct fake *fk = calloc(1, sizeof(*fk));

	snprintf(fk->root, sizeof(fk->root), "/tmp/test_pidcache.XXXXXX");
	if (!fk || !mkdtemp(fk->root))
		return -1;
	*state = fk;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *fk = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", fk->root);
	if (system(cmd))
		return -1;
	free(fk);
	return 0;
}

static struct pidcache_key key(uint32_t pid, uint64_t start_ns, uint64_t exec_id)
{
	return (struct pidcache_key){ .pid = pid, .start_ns = start_ns, .exec_id = exec_id };
}

/* One lookup that must answer exe (NULL: none, the process gone). */
static void expect_exe(struct pidcache *c, struct pidcache_key k, const char *exe)
{
	struct pidcache_meta m;

	assert_int_equal(pidcache__lookup(c, &k, &m), 0);
	if (exe) {
		assert_false(m.gone);
		assert_string_equal(m.exe, exe);
	} else {
		assert_true(m.gone);
		assert_null(m.exe);
		assert_null(m.cgroup);
		assert_null(m.container_id);
	}
}

static void expect_counts(struct pidcache *c, uint64_t hits, uint64_t misses, uint64_t gone)
{
	struct pidcache_stats st;

	pidcache__stats(c, &st);
	assert_int_equal(st.hits, hits);
	assert_int_equal(st.misses, misses);
	assert_int_equal(st.gone, gone);
}

static void test_miss_reads_proc_then_hits(void **state)
{
	struct fake *fk = *state;
	struct pidcache *c = pidcache__new(64, fk->root);
	struct pidcache_key k = key(100, 5000000000ULL, 3);
	struct pidcache_meta m;
	struct pidcache_stats st;

	fake_proc(fk, 100, k.start_ns, "web server", "/usr/sbin/nginx",
		  "/system.slice/docker-" ID_A ".scope", "/docker/" ID_B);
	assert_int_equal(pidcache__lookup(c, &k, &m), 0);
	assert_false(m.gone);
	assert_string_equal(m.comm, "web server");
	assert_string_equal(m.exe, "/usr/sbin/nginx");
	assert_string_equal(m.cgroup, "/system.slice/docker-" ID_A ".scope");
	/* The cgroup2 line names the container; the v1 memory line is only a fallback. */
	assert_string_equal(m.container_id, ID_A);
	/* Served from the cache even once /proc changed. */
	fake_proc(fk, 100, k.start_ns, "other", "/bin/other", "/", "/");
	for (int i = 0; i < 9; i++) {
		assert_int_equal(pidcache__lookup(c, &k, &m), 0);
		assert_string_equal(m.exe, "/usr/sbin/nginx");
	}
	pidcache__stats(c, &st);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.hits, 9);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.capacity, 64);
	pidcache__free(c);
}

static void test_container_id_falls_back_to_v1_memory_cgroup(void **state)
{
	struct fake *fk = *state;
	struct pidcache *c = pidcache__new(64, fk->root);
	struct pidcache_key k = key(101, 7000000000ULL, 1);
	struct pidcache_meta m;

	fake_proc(fk, 101, k.start_ns, "app", "/app", "/", "/docker/" ID_B);
	assert_int_equal(pidcache__lookup(c, &k, &m), 0);
	assert_string_equal(m.cgroup, "/");
	assert_string_equal(m.container_id, ID_B);
	pidcache__free(c);
}

static void test_reused_pid_is_a_miss_never_the_old_answer(void **state)
{
	struct fake *fk = *state;
	struct pidcache *c = pidcache__new(64, fk->root);
	struct pidcache_key old = key(200, 1000000000ULL, 1), now = key(200, 9000000000ULL, 1);

	fake_proc(fk, 200, old.start_ns, "a", "/bin/a", "/", "/");
	expect_exe(c, old, "/bin/a");
	/* Process a exits, the pid goes to b. */
	fake_proc(fk, 200, now.start_ns, "b", "/bin/b", "/", "/");
	expect_exe(c, now, "/bin/b");
	/* A late event of a: still a's (cached), never b's. */
	expect_exe(c, old, "/bin/a");
	expect_counts(c, 1, 2, 0);
	pidcache__free(c);
}

static void test_gone_or_reused_before_read_is_a_counted_miss_without_metadata(void **state)
{
	struct fake *fk = *state;
	struct pidcache *c = pidcache__new(64, fk->root);
	struct pidcache_key dead = key(300, 2000000000ULL, 1), stale = key(301, 3000000000ULL, 1);

	fake_gone(fk, 300);
	expect_exe(c, dead, NULL);
	/* Pid 301 belongs to a newer process now: its files are not the event's. */
	fake_proc(fk, 301, 8000000000ULL, "new", "/bin/new", "/system.slice/docker-" ID_A ".scope", "/");
	expect_exe(c, stale, NULL);
	/* Gone is cached too: a burst of late events reads /proc once. */
	expect_exe(c, dead, NULL);
	expect_counts(c, 1, 2, 2);
	pidcache__free(c);
}

static void test_execve_is_a_new_key(void **state)
{
	struct fake *fk = *state;
	struct pidcache *c = pidcache__new(64, fk->root);
	struct pidcache_key before = key(400, 4000000000ULL, 1), after = key(400, 4000000000ULL, 2);

	fake_proc(fk, 400, before.start_ns, "sh", "/bin/sh", "/", "/");
	expect_exe(c, before, "/bin/sh");
	fake_proc(fk, 400, before.start_ns, "python3", "/usr/bin/python3", "/", "/");
	expect_exe(c, after, "/usr/bin/python3");
	expect_counts(c, 0, 2, 0);
	pidcache__free(c);
}

/* n processes pid, pid + 1, ... started a second apart from start_s; their keys in k. */
static void fake_procs(struct fake *fk, struct pidcache_key *k, unsigned int n, uint32_t pid,
		       uint64_t start_s)
{
	for (unsigned int i = 0; i < n; i++) {
		k[i] = key(pid + i, (start_s + i) * 1000000000ULL, 1);
		fake_proc(fk, pid + i, k[i].start_ns, "p", "/bin/p", "/", "/");
	}
}

static void test_full_cache_evicts_least_recently_used(void **state)
{
	struct fake *fk = *state;
	struct pidcache *c = pidcache__new(3, fk->root);
	struct pidcache_meta m;
	struct pidcache_stats st;
	struct pidcache_key k[4];

	fake_procs(fk, k, 4, 500, 10);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(pidcache__lookup(c, &k[i], &m), 0);
	/* 500 used again: 501 is now the least recently used. */
	assert_int_equal(pidcache__lookup(c, &k[0], &m), 0);
	assert_int_equal(pidcache__lookup(c, &k[3], &m), 0);
	pidcache__stats(c, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.misses, 4);
	assert_int_equal(pidcache__lookup(c, &k[0], &m), 0);
	assert_int_equal(pidcache__lookup(c, &k[2], &m), 0);
	assert_int_equal(pidcache__lookup(c, &k[3], &m), 0);
	expect_counts(c, 4, 4, 0);
	assert_int_equal(pidcache__lookup(c, &k[1], &m), 0);
	expect_counts(c, 4, 5, 0);
	pidcache__free(c);
}

static void test_shrink_keeps_the_most_recent_and_counts(void **state)
{
	struct fake *fk = *state;
	struct pidcache *c = pidcache__new(16, fk->root);
	struct pidcache_meta m;
	struct pidcache_stats st;
	struct pidcache_key k[8];

	fake_procs(fk, k, 8, 600, 20);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(pidcache__lookup(c, &k[i], &m), 0);
	assert_int_equal(pidcache__shrink(c, 4), 4);
	pidcache__stats(c, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.evictions, 4);
	assert_int_equal(st.shrinks, 1);
	for (unsigned int i = 4; i < 8; i++)
		assert_int_equal(pidcache__lookup(c, &k[i], &m), 0);
	pidcache__stats(c, &st);
	assert_int_equal(st.hits, 4);
	assert_int_equal(pidcache__shrink(c, 4), 0);
	pidcache__stats(c, &st);
	assert_int_equal(st.shrinks, 1);
	pidcache__free(c);
}

static void test_null_cache_and_pid_0_answer_nothing(void **state)
{
	struct fake *fk = *state;
	struct pidcache *c = pidcache__new(4, fk->root);
	struct pidcache_key k0 = key(0, 0, 0);
	struct pidcache_meta m;
	struct pidcache_stats st;

	assert_int_equal(pidcache__lookup(NULL, &k0, &m), 0);
	assert_null(m.exe);
	assert_int_equal(pidcache__lookup(c, &k0, &m), 0);
	assert_null(m.cgroup);
	pidcache__stats(c, &st);
	assert_int_equal(st.hits + st.misses, 0);
	assert_int_equal(pidcache__shrink(NULL, 0), 0);
	pidcache__free(c);
	pidcache__free(NULL);
}

/* An exe source (the kernel's map in hostmond) giving one answer, counting the questions. */
struct fake_exe {
	int ret;
	const char *exe;
	unsigned int calls;
};

static int fake_exe_lookup(void *ctx, const struct pidcache_key *k, char *path, size_t len)
{
	struct fake_exe *fx = ctx;

	(void)k;
	fx->calls++;
	if (!fx->ret)
		snprintf(path, len, "%s", fx->exe);
	return fx->ret;
}

/* A cache over a live fake process 700 whose /proc/700/exe says /proc/says, asking fx first. */
static struct pidcache *cache_asking(struct fake *fk, struct fake_exe *fx, struct pidcache_key k)
{
	struct pidcache *c = pidcache__new(16, fk->root);

	assert_non_null(c);
	fake_proc(fk, k.pid, k.start_ns, "daemon", "/proc/says", "/system.slice/d.service", "/");
	pidcache__set_exe_source(c, fake_exe_lookup, fx);
	return c;
}

static void test_exe_source_answers_before_proc(void **state)
{
	struct fake_exe fx = { .ret = 0, .exe = "/kernel/says" };
	struct pidcache_key k = key(700, 7000000000ULL, 1);
	struct pidcache *c = cache_asking(*state, &fx, k);
	struct pidcache_meta m;

	assert_int_equal(pidcache__lookup(c, &k, &m), 0);
	assert_string_equal(m.exe, "/kernel/says");
	/* comm and cgroup still come from /proc (world-readable). */
	assert_string_equal(m.comm, "daemon");
	assert_string_equal(m.cgroup, "/system.slice/d.service");
	assert_int_equal(pidcache__lookup(c, &k, &m), 0);
	assert_int_equal(fx.calls, 1);
	expect_counts(c, 1, 1, 0);
	pidcache__free(c);
}

static void test_exe_source_unknown_falls_back_to_proc_stale_gives_none(void **state)
{
	struct fake_exe fx = { .ret = -ENOENT };
	struct pidcache_key k = key(700, 7000000000ULL, 1), k2 = key(700, 7000000000ULL, 2);
	struct pidcache *c = cache_asking(*state, &fx, k);
	struct pidcache_meta m;

	expect_exe(c, k, "/proc/says");
	/* The process exec'd since the event: /proc shows the new program, not the event's. */
	fx.ret = -ESTALE;
	assert_int_equal(pidcache__lookup(c, &k2, &m), 0);
	assert_false(m.gone);
	assert_null(m.exe);
	assert_string_equal(m.cgroup, "/system.slice/d.service");
	pidcache__free(c);
}

static void test_gone_process_keeps_exe_from_source(void **state)
{
	struct fake_exe fx = { .ret = 0, .exe = "/kernel/says" };
	struct pidcache_key k = key(700, 7000000000ULL, 1);
	struct pidcache *c = cache_asking(*state, &fx, k);
	struct pidcache_meta m;

	fake_gone(*state, 700);
	assert_int_equal(pidcache__lookup(c, &k, &m), 0);
	assert_true(m.gone);
	assert_string_equal(m.exe, "/kernel/says");
	assert_null(m.comm);
	assert_null(m.cgroup);
	assert_null(m.container_id);
	expect_counts(c, 0, 1, 1);
	pidcache__free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_id_from_runtime_cgroup_paths),
		cmocka_unit_test(test_no_container_id_for_host_and_lookalike_paths),
		cmocka_unit_test_setup_teardown(test_miss_reads_proc_then_hits, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_container_id_falls_back_to_v1_memory_cgroup,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_reused_pid_is_a_miss_never_the_old_answer,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_gone_or_reused_before_read_is_a_counted_miss_without_metadata,
			fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_execve_is_a_new_key, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_full_cache_evicts_least_recently_used,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_shrink_keeps_the_most_recent_and_counts,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_null_cache_and_pid_0_answer_nothing,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_exe_source_answers_before_proc,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
			test_exe_source_unknown_falls_back_to_proc_stale_gives_none,
			fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_gone_process_keeps_exe_from_source,
						fake_setup, fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
