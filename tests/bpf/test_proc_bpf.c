/*
 * The process family's programs one by one (bpf/proc.bpf.c): each test
 * loads the skeleton with the exit program under test, kills or exits a
 * child it made, and reads the process_crash and oom_kill records and the
 * maps. waitpid()'s status is the ground truth of signal and core bit.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/proc.h"
#include "proc.skel.h"
#include "probes/kpath.h"
#include "bpftest.h"

struct proc_test {
	struct proc_bpf *skel;
	struct bpftest_ring *ring;
	struct bpftest_cgroup cg;
	char core_dir[64];	/* where a crashing child dumps its core (core_pattern "core") */
	char memcg[PATH_MAX];	/* a memory cgroup the OOM test made */
	uint64_t hog_cgid;	/* the v2 cgroup id its memory hog runs in */
	pid_t victim;		/* a child to kill at teardown if a test stopped early */
};

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct proc_test));
	return *state ? 0 : -1;
}

/* Core files the kernel wrote into core_dir, and the directory. */
static void remove_core_dir(const char *dir)
{
	char cmd[128];

	if (!dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "bpftest: could not remove %s\n", dir);
}

static int teardown(void **state)
{
	struct proc_test *t = *state;

	if (t->victim > 0 && !kill(t->victim, SIGKILL))
		waitpid(t->victim, NULL, 0);
	bpftest_ring__free(t->ring);
	proc_bpf__destroy(t->skel);
	bpftest_cgroup__remove(&t->cg);
	remove_core_dir(t->core_dir);
	if (t->memcg[0])
		rmdir(t->memcg);
	free(t);
	return 0;
}

/* The skeleton with one of the two exit programs (agent/probes/proc_family.c picks by the kernel's tracepoint). */
static void proc_load(struct proc_test *t, bool legacy)
{
	struct proc_bpf *skel;

	t->skel = skel = proc_bpf__open();
	assert_non_null(skel);
	assert_int_equal(bpf_map__set_max_entries(skel->maps.exe_paths, 64), 0);
	bpf_program__set_autoload(skel->progs.proc_exit, !legacy);
	bpf_program__set_autoload(skel->progs.proc_exit_legacy, legacy);
	assert_int_equal(proc_bpf__load(skel), 0);
	assert_int_equal(proc_bpf__attach(skel), 0);
	t->ring = bpftest_ring__new(bpf_map__fd(skel->maps.events));
	assert_non_null(t->ring);
}

/* Records of one kind for one pid: ctx is a struct proc_crash_event with kind and pid set. */
static bool record_of(const void *data, size_t len, const void *ctx)
{
	const struct proc_crash_event *want = ctx;
	uint32_t head[2];

	if (len < sizeof(head))
		return false;
	memcpy(head, data, sizeof(head));
	if (head[0] == PROC_EV_CRASH && len < sizeof(struct proc_crash_event))
		return false;
	if (head[0] == PROC_EV_OOM && len < sizeof(struct proc_oom_event))
		return false;
	return head[0] == want->kind && head[1] == want->pid;
}

/* The one record of kind for pid; fails the test unless there is exactly one. */
static const void *one_record(struct proc_test *t, uint32_t kind, pid_t pid, const char *what)
{
	struct proc_crash_event want = { .kind = kind, .pid = (uint32_t)pid };

	bpftest_expect_eq(what, 1, bpftest_ring__wait(t->ring, record_of, &want, 1, 3000));
	return bpftest_ring__nth(t->ring, record_of, &want, 0);
}

static uint64_t signal_count(const struct proc_test *t, uint32_t slot)
{
	return bpftest_percpu_u64(bpf_map__fd(t->skel->maps.counts), &slot);
}

static void *sleep_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A three-thread process that dies of SIGSEGV, in the test's cgroup, with cores allowed. */
static int segv_child(void *arg)
{
	const struct proc_test *t = arg;
	struct rlimit core = { RLIM_INFINITY, RLIM_INFINITY };
	pthread_t th;

	prctl(PR_SET_NAME, "segv-child");
	if (bpftest_cgroup__enter(&t->cg, 0) || chdir(t->core_dir) || setrlimit(RLIMIT_CORE, &core))
		return 1;
	for (int i = 0; i < 2; i++)
		if (pthread_create(&th, NULL, sleep_forever, NULL))
			return 1;
	*(volatile int *)NULL = 1;
	return 1;
}

static void expect_exe_is_self(const struct proc_path *exe)
{
	char want[PATH_MAX] = "", got[KPATH_MAX];

	assert_true(readlink("/proc/self/exe", want, sizeof(want) - 1) > 0);
	kpath_string(exe, got, sizeof(got));
	assert_string_equal(got, want);
}

/* One process_crash for the child killed by SIGSEGV: as waitpid() saw it, with its exe and cgroup. */
static void sigsegv_reported_once(struct proc_test *t)
{
	const struct proc_crash_event *e;
	int status;
	pid_t pid;

	assert_int_equal(bpftest_cgroup__new(&t->cg, "proc"), 0);
	snprintf(t->core_dir, sizeof(t->core_dir), "/tmp/hostmon-bpftest-core.XXXXXX");
	if (!mkdtemp(t->core_dir)) {
		t->core_dir[0] = 0;
		fail_msg("mkdtemp: %s", strerror(errno));
	}
	pid = bpftest_fork(segv_child, t);
	status = bpftest_wait(pid, 10000);
	assert_true(status != -1 && WIFSIGNALED(status));
	bpftest_expect_eq("child's signal (waitpid)", SIGSEGV, WTERMSIG(status));
	e = one_record(t, PROC_EV_CRASH, pid, "process_crash records of the three-thread child");
	if (getenv("BPFTEST_VERBOSE"))
		print_message("segv child: wait status 0x%x\n", status);
	bpftest_expect_eq("exit_code: signal and core bit as waitpid() saw them", status,
			  e->exit_code);
	bpftest_expect_eq("ppid", getpid(), e->ppid);
	bpftest_expect_eq("sender_pid (the kernel's SIGSEGV)", 0, e->sender_pid);
	bpftest_expect_eq("cgid (the child's own cgroup)", t->cg.id, e->cgid);
	assert_string_equal(e->comm, "segv-child");
	expect_exe_is_self(&e->exe);
	bpftest_expect_ge("counts[SIGSEGV]", 1, signal_count(t, SIGSEGV));
}

static void proc_exit_sigsegv_one_crash_event_per_process(void **state)
{
	struct proc_test *t = *state;

	proc_load(t, false);
	sigsegv_reported_once(t);
}

static void proc_exit_legacy_sigsegv_one_crash_event_per_process(void **state)
{
	struct proc_test *t = *state;

	proc_load(t, true);
	sigsegv_reported_once(t);
}

static int wait_for_kill(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "kill-victim");
	for (;;)
		pause();
	return 1;
}

static int sigkill_victim(void *arg)
{
	const pid_t *victim = arg;

	prctl(PR_SET_NAME, "bpft-killer");
	return kill(*victim, SIGKILL) ? 1 : 0;
}

static void proc_signal_sigkill_names_sender(void **state)
{
	struct proc_test *t = *state;
	const struct proc_crash_event *e;
	struct proc_sender s;
	pid_t killer;
	__u32 key;
	int status;

	proc_load(t, false);
	t->victim = bpftest_fork(wait_for_kill, NULL);
	killer = bpftest_fork(sigkill_victim, &t->victim);
	bpftest_expect_eq("killer's exit status", 0, bpftest_wait(killer, 5000));
	status = bpftest_wait(t->victim, 5000);
	key = t->victim;
	t->victim = 0;
	assert_true(status != -1 && WIFSIGNALED(status));
	bpftest_expect_eq("victim's signal (waitpid)", SIGKILL, WTERMSIG(status));
	e = one_record(t, PROC_EV_CRASH, key, "process_crash records of the victim");
	bpftest_expect_eq("exit_code", status, e->exit_code);
	bpftest_expect_eq("sender_pid", killer, e->sender_pid);
	assert_string_equal(e->sender_comm, "bpft-killer");
	assert_string_equal(e->comm, "kill-victim");
	if (!bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.senders), &key, &s))
		fail_msg("senders{%u}: entry left after the victim's exit", key);
}

static int exit_3(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "bpft-exit3");
	_exit(3);
}

static void proc_exit_nonzero_exit_counted_not_crash(void **state)
{
	struct proc_test *t = *state;
	struct proc_crash_event want = { .kind = PROC_EV_CRASH };
	char comm[TASK_COMM_LEN] = "bpft-exit3";
	uint64_t n = 0;
	int status;

	proc_load(t, false);
	want.pid = bpftest_fork(exit_3, NULL);
	status = bpftest_wait(want.pid, 5000);
	assert_true(status != -1 && WIFEXITED(status));
	bpftest_expect_eq("child's exit status", 3, WEXITSTATUS(status));
	bpftest_expect_eq("process_crash records of a child that exited 3", 0,
			  bpftest_ring__wait(t->ring, record_of, &want, 1, 300));
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.exit_counts), comm, &n))
		fail_msg("exit_counts{bpft-exit3}: no entry (%s)", strerror(errno));
	bpftest_expect_eq("exit_counts{bpft-exit3}", 1, n);
}

#define OOM_LIMIT	(32 << 20)

/* Writes text to dir/file; 0 or -errno. */
static int write_file(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX + 64];
	ssize_t n = (ssize_t)strlen(text);
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != n)
		err = -errno;
	close(fd);
	return err;
}

/* Into the memory cgroup, then touches memory until the OOM killer ends it. */
static int memory_hog(void *arg)
{
	const struct proc_test *t = arg;
	size_t chunk = 1 << 20;

	prctl(PR_SET_NAME, "bpft-memhog");
	if (write_file(t->memcg, "cgroup.procs", "0"))
		return 1;
	for (int i = 0; i < 1024; i++) {
		char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 1;
		memset(p, i, chunk);
	}
	return 1;
}

/* A v1 memory cgroup limited to OOM_LIMIT without swap (hybrid hosts), else a v2 one. */
static void make_memcg(struct proc_test *t, char *limit, size_t len)
{
	snprintf(limit, len, "%d", OOM_LIMIT);
	if (!access("/sys/fs/cgroup/memory/memory.limit_in_bytes", W_OK)) {
		snprintf(t->memcg, sizeof(t->memcg), "/sys/fs/cgroup/memory/hostmon-bpftest-oom-%d",
			 (int)getpid());
		assert_int_equal(mkdir(t->memcg, 0755), 0);
		assert_int_equal(write_file(t->memcg, "memory.limit_in_bytes", limit), 0);
		write_file(t->memcg, "memory.memsw.limit_in_bytes", limit);
		t->hog_cgid = bpftest_self_cgroup_id();
		return;
	}
	assert_int_equal(bpftest_cgroup__new(&t->cg, "oom"), 0);
	snprintf(t->memcg, sizeof(t->memcg), "%s", t->cg.path);
	t->cg.path[0] = 0;	/* removed as memcg */
	t->hog_cgid = t->cg.id;
	if (write_file(t->memcg, "memory.max", limit))
		fail_msg("no memory controller in %s (cgroup.subtree_control)", t->memcg);
	write_file(t->memcg, "memory.swap.max", "0");
}

static void proc_oom_mark_victim_reports_kill(void **state)
{
	struct proc_test *t = *state;
	const struct proc_oom_event *o;
	const struct proc_crash_event *e;
	char limit[32], memcg[KPATH_MAX];
	int status;
	pid_t pid;

	proc_load(t, false);
	make_memcg(t, limit, sizeof(limit));
	pid = bpftest_fork(memory_hog, t);
	status = bpftest_wait(pid, 30000);
	assert_true(status != -1 && WIFSIGNALED(status));
	bpftest_expect_eq("memory hog's signal (waitpid)", SIGKILL, WTERMSIG(status));
	o = one_record(t, PROC_EV_OOM, pid, "oom_kill records of the memory hog");
	assert_string_equal(o->comm, "bpft-memhog");
	bpftest_expect_eq("oom_kill cgid (the hog's v2 cgroup)", t->hog_cgid, o->cgid);
	kpath_string(&o->memcg, memcg, sizeof(memcg));
	assert_string_equal(memcg, strrchr(t->memcg, '/'));
	bpftest_expect_ge("oom_kill anon_rss (pages, near the limit)", OOM_LIMIT / 2 / 4096,
			  o->anon_rss);
	e = one_record(t, PROC_EV_CRASH, pid, "process_crash records of the memory hog");
	bpftest_expect_eq("crash oom_killed", 1, e->oom_killed);
	bpftest_expect_eq("crash exit_code", status, e->exit_code);
	bpftest_expect_ge("counts[oom]", 1, signal_count(t, PROC_COUNT_OOM));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(proc_exit_sigsegv_one_crash_event_per_process, setup,
						teardown),
		cmocka_unit_test_setup_teardown(proc_exit_legacy_sigsegv_one_crash_event_per_process,
						setup, teardown),
		cmocka_unit_test_setup_teardown(proc_signal_sigkill_names_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(proc_exit_nonzero_exit_counted_not_crash, setup,
						teardown),
		cmocka_unit_test_setup_teardown(proc_oom_mark_victim_reports_kill, setup, teardown),
	};

	bpftest_init(argc, argv);
	return cmocka_run_group_tests_name("proc.bpf.c", tests, NULL, NULL);
}
