/*
 * The syscall family's programs one by one (bpf/syscalls.bpf.c): each test
 * loads the skeleton traced for one syscall, makes calls it counts itself
 * and reads the maps and the ring buffer. Syscall 511 is one no kernel
 * implements (-ENOSYS), so no other process on the host makes it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/histogram.h"
#include "bpf/syscalls.h"
#include "syscalls.skel.h"
#include "bpftest.h"

#define NR_UNUSED	511	/* below SC_MAX_NR, above every x86_64 syscall */
#define ENOSYS_CALLS	1000

struct sc_test {
	struct syscalls_bpf *skel;
	struct bpftest_ring *ring;
	const struct sc_hist *hists;	/* the hists map, mapped */
	size_t hists_len;
	uint32_t shards;
	struct bpftest_cgroup cg;
};

/* What a test loads: one syscall traced, on one of the two paths, with a slow threshold. */
struct sc_load {
	unsigned int nr;
	bool thread_map;	/* sc_enter_thread/sc_exit_thread/sc_thread_exit, not task storage */
	uint64_t slow_ns;
};

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct sc_test));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	struct sc_test *t = *state;

	bpftest_ring__free(t->ring);
	if (t->hists)
		munmap((void *)t->hists, t->hists_len);
	syscalls_bpf__destroy(t->skel);
	bpftest_cgroup__remove(&t->cg);
	free(t);
	return 0;
}

/* The sizes hostmond gives the maps it would share or shrink (agent/probes/syscall_family.c). */
static void size_maps(struct sc_test *t)
{
	int ncpu = libbpf_num_possible_cpus();

	assert_true(ncpu > 0);
	t->shards = ncpu < SC_HIST_SHARDS_MAX ? (uint32_t)ncpu : SC_HIST_SHARDS_MAX;
	t->skel->rodata->hist_shards = t->shards;
	t->skel->rodata->hist_atomic = (uint32_t)ncpu > t->shards;
	assert_int_equal(bpf_map__set_max_entries(t->skel->maps.hists, t->shards * SC_MAX_NR), 0);
	assert_int_equal(bpf_map__set_max_entries(t->skel->maps.exe_paths, 64), 0);
	assert_int_equal(bpf_map__set_max_entries(t->skel->maps.socks, 1), 0);
	assert_int_equal(bpf_map__set_max_entries(t->skel->maps.endpoints, 1), 0);
}

/* Loads and attaches the programs of one path, tracing calls of l->nr by every process. */
static void sc_load(struct sc_test *t, const struct sc_load *l)
{
	struct syscalls_bpf *skel;

	t->skel = skel = syscalls_bpf__open();
	assert_non_null(skel);
	skel->rodata->traced[l->nr / 64] = 1ULL << (l->nr % 64);
	skel->rodata->slow_threshold_ns = l->slow_ns;
	skel->rodata->slow_events = true;
	skel->rodata->workloads = true;
	skel->rodata->self_tgid = 0;	/* the test process is traced like any other */
	skel->rodata->net_exits = false;
	size_maps(t);
	bpf_program__set_autoload(skel->progs.sc_enter, !l->thread_map);
	bpf_program__set_autoload(skel->progs.sc_exit, !l->thread_map);
	bpf_map__set_autocreate(skel->maps.starts, !l->thread_map);
	bpf_program__set_autoload(skel->progs.sc_enter_thread, l->thread_map);
	bpf_program__set_autoload(skel->progs.sc_exit_thread, l->thread_map);
	bpf_program__set_autoload(skel->progs.sc_thread_exit, l->thread_map);
	assert_int_equal(syscalls_bpf__load(skel), 0);
	assert_int_equal(syscalls_bpf__attach(skel), 0);
	t->ring = bpftest_ring__new(bpf_map__fd(skel->maps.events));
	assert_non_null(t->ring);
	t->hists_len = (size_t)t->shards * SC_MAX_NR * sizeof(struct sc_hist);
	t->hists = mmap(NULL, t->hists_len, PROT_READ, MAP_SHARED, bpf_map__fd(skel->maps.hists), 0);
	assert_true(t->hists != MAP_FAILED);
}

/* stats[nr] summed over the possible CPUs. */
static struct sc_stats stats_of(const struct sc_test *t, uint32_t nr)
{
	struct sc_stats sum = {};
	int ncpu;
	void *v = bpftest_percpu_read(bpf_map__fd(t->skel->maps.stats), &nr, sizeof(sum), &ncpu);

	for (int cpu = 0; cpu < ncpu; cpu++) {
		const struct sc_stats *s = bpftest_percpu_at(v, sizeof(sum), cpu);

		sum.calls += s->calls;
		sum.errors += s->errors;
		sum.timed += s->timed;
	}
	free(v);
	return sum;
}

/* Calls of nr in the mapped histograms, every shard and bucket. */
static uint64_t hist_total(const struct sc_test *t, uint32_t nr)
{
	uint64_t n = 0;

	for (uint32_t shard = 0; shard < t->shards; shard++)
		for (unsigned int b = 0; b < HIST_BUCKETS; b++)
			n += t->hists[shard * SC_MAX_NR + nr].hist[b];
	return n;
}

static uint64_t errno_count(const struct sc_test *t, uint32_t nr, uint32_t err)
{
	struct sc_errno_key key = { .nr = nr, .err = err };
	uint64_t n = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.errnos), &key, &n))
		return 0;
	return n;
}

/* The workload entry of cgid for nr; calls == UINT64_MAX when there is none. */
static struct sc_cg_stats cg_stats_of(const struct sc_test *t, uint64_t cgid, uint32_t nr)
{
	struct sc_cg_key key = { .cgid = cgid, .nr = nr };
	struct sc_cg_stats v = { .calls = UINT64_MAX };

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.cg_stats), &key, &v))
		v.calls = UINT64_MAX;
	return v;
}

static uint64_t cg_hist_total(const struct sc_cg_stats *v)
{
	uint64_t n = 0;

	for (unsigned int b = 0; b < SC_CG_BUCKETS; b++)
		n += v->hist[b];
	return n;
}

static uint64_t cg_errno_count(const struct sc_test *t, uint64_t cgid, uint32_t nr, uint32_t err)
{
	struct sc_cg_errno_key key = { .cgid = cgid, .nr = nr, .err = err };
	uint64_t n = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.cg_errnos), &key, &n))
		return 0;
	return n;
}

/* Loads the task-storage path tracing syscall 511, makes ENOSYS_CALLS of it; its stats after. */
static struct sc_stats unused_syscall_calls(struct sc_test *t)
{
	sc_load(t, &(struct sc_load){ .nr = NR_UNUSED, .slow_ns = 1000000000 });
	for (int i = 0; i < ENOSYS_CALLS; i++)
		assert_int_equal(syscall(NR_UNUSED), -1);
	return stats_of(t, NR_UNUSED);
}

static void sc_exit_counts_calls_errors_and_errno(void **state)
{
	struct sc_test *t = *state;
	struct sc_stats st = unused_syscall_calls(t);

	bpftest_expect_eq("stats[511].calls", ENOSYS_CALLS, st.calls);
	bpftest_expect_eq("stats[511].errors", ENOSYS_CALLS, st.errors);
	bpftest_expect_eq("errnos{511, ENOSYS}", ENOSYS_CALLS, errno_count(t, NR_UNUSED, ENOSYS));
	bpftest_expect_eq("errnos{511, EPERM}", 0, errno_count(t, NR_UNUSED, EPERM));
}

static void sc_exit_histogram_total_equals_timed_calls(void **state)
{
	struct sc_test *t = *state;
	struct sc_stats st = unused_syscall_calls(t);

	bpftest_expect_eq("stats[511].timed (no sampling)", ENOSYS_CALLS, st.timed);
	bpftest_expect_eq("hists[511] summed over shards and buckets", st.timed,
			  hist_total(t, NR_UNUSED));
}

static void sc_exit_counts_own_cgroup_like_stats(void **state)
{
	struct sc_test *t = *state;
	uint64_t cgid = bpftest_self_cgroup_id();
	struct sc_cg_stats cg;

	assert_true(cgid != 0);
	unused_syscall_calls(t);
	cg = cg_stats_of(t, cgid, NR_UNUSED);
	bpftest_expect_eq("cg_stats{own cgroup, 511}.calls", ENOSYS_CALLS, cg.calls);
	bpftest_expect_eq("cg_stats{own cgroup, 511}.errors", ENOSYS_CALLS, cg.errors);
	bpftest_expect_eq("cg_stats{own cgroup, 511} histogram total", ENOSYS_CALLS,
			  cg_hist_total(&cg));
	bpftest_expect_eq("cg_errnos{own cgroup, 511, ENOSYS}", ENOSYS_CALLS,
			  cg_errno_count(t, cgid, NR_UNUSED, ENOSYS));
}

#define CG_OK_CALLS	300
#define CG_FAILED_CALLS	200

/* In a child: into the test's cgroup, then getpgid() that succeed and that fail (ESRCH). */
static int getpgid_in_cgroup(void *arg)
{
	const struct bpftest_cgroup *cg = arg;

	if (bpftest_cgroup__enter(cg, 0))
		return 1;
	for (int i = 0; i < CG_OK_CALLS; i++)
		if (syscall(SYS_getpgid, 0) < 0)
			return 1;
	for (int i = 0; i < CG_FAILED_CALLS; i++)
		if (syscall(SYS_getpgid, -1) != -1 || errno != ESRCH)
			return 1;
	return 0;
}

static void sc_exit_counts_per_cgroup_of_caller(void **state)
{
	struct sc_test *t = *state;
	struct sc_cg_stats cg;
	struct sc_stats st;
	int status;

	assert_int_equal(bpftest_cgroup__new(&t->cg, "sc"), 0);
	sc_load(t, &(struct sc_load){ .nr = SYS_getpgid, .slow_ns = 1000000000 });
	status = bpftest_wait(bpftest_fork(getpgid_in_cgroup, &t->cg), 10000);
	bpftest_expect_eq("child's exit status", 0, status);
	cg = cg_stats_of(t, t->cg.id, SYS_getpgid);
	bpftest_expect_eq("cg_stats{new cgroup, getpgid}.calls", CG_OK_CALLS + CG_FAILED_CALLS,
			  cg.calls);
	bpftest_expect_eq("cg_stats{new cgroup, getpgid}.errors", CG_FAILED_CALLS, cg.errors);
	bpftest_expect_eq("cg_stats{new cgroup, getpgid} histogram total",
			  CG_OK_CALLS + CG_FAILED_CALLS, cg_hist_total(&cg));
	bpftest_expect_eq("cg_errnos{new cgroup, getpgid, ESRCH}", CG_FAILED_CALLS,
			  cg_errno_count(t, t->cg.id, SYS_getpgid, ESRCH));
	/* Other processes call getpgid too: the host-wide counts hold the child's at least. */
	st = stats_of(t, SYS_getpgid);
	bpftest_expect_ge("stats[getpgid].calls", CG_OK_CALLS + CG_FAILED_CALLS, st.calls);
	bpftest_expect_ge("stats[getpgid].errors", CG_FAILED_CALLS, st.errors);
}

#define SLOW_NS		20000000ULL	/* the threshold */
#define SLOW_SLEEP_NS	40000000L	/* the one slow call */

/* slow_syscall_event records of the test process (other processes' slow calls are there too). */
static bool slow_of_self(const void *data, size_t len, const void *ctx)
{
	const struct slow_syscall_event *e = data;

	(void)ctx;
	return len >= sizeof(*e) && e->tgid == (uint32_t)getpid();
}

static void sc_exit_sends_slow_call_to_ring_buffer(void **state)
{
	struct sc_test *t = *state;
	struct timespec slow = { .tv_nsec = SLOW_SLEEP_NS }, fast = { 0 };
	const struct slow_syscall_event *e;
	char comm[TASK_COMM_LEN] = "";

	sc_load(t, &(struct sc_load){ .nr = SYS_nanosleep, .slow_ns = SLOW_NS });
	for (int i = 0; i < 5; i++)
		assert_int_equal(syscall(SYS_nanosleep, &fast, NULL), 0);
	assert_int_equal(syscall(SYS_nanosleep, &slow, NULL), 0);
	bpftest_expect_eq("slow_syscall events of the test process (5 fast nanosleeps, 1 slow)", 1,
			  bpftest_ring__wait(t->ring, slow_of_self, NULL, 1, 2000));
	e = bpftest_ring__nth(t->ring, slow_of_self, NULL, 0);
	bpftest_expect_eq("event nr", SYS_nanosleep, e->nr);
	bpftest_expect_eq("event ret", 0, e->ret);
	bpftest_expect_eq("event pid (thread id)", gettid(), e->pid);
	bpftest_expect_ge("event latency_ns", SLOW_SLEEP_NS, e->latency_ns);
	assert_true(e->latency_ns < 10ULL * 1000000000);
	assert_int_equal(prctl(PR_GET_NAME, comm), 0);
	assert_string_equal(e->comm, comm);
}

#define THREAD_CALLS	100

/* A thread that makes THREAD_CALLS traced calls, then waits for the test's word to exit. */
struct traced_thread {
	pthread_t thread;
	pid_t tid;
	int ready[2];	/* the thread's calls done */
	int go[2];	/* the test has looked */
};

static void *traced_thread_main(void *arg)
{
	struct traced_thread *tt = arg;
	char c = 0;

	tt->tid = gettid();
	for (int i = 0; i < THREAD_CALLS; i++)
		syscall(NR_UNUSED);
	if (write(tt->ready[1], &c, 1) != 1 || read(tt->go[0], &c, 1) != 1)
		return NULL;
	return NULL;
}

static void traced_thread_start(struct traced_thread *tt)
{
	char c;

	assert_int_equal(pipe(tt->ready), 0);
	assert_int_equal(pipe(tt->go), 0);
	assert_int_equal(pthread_create(&tt->thread, NULL, traced_thread_main, tt), 0);
	assert_int_equal(read(tt->ready[0], &c, 1), 1);
}

static void traced_thread_join(struct traced_thread *tt)
{
	char c = 0;

	assert_int_equal(write(tt->go[1], &c, 1), 1);
	assert_int_equal(pthread_join(tt->thread, NULL), 0);
	for (int i = 0; i < 2; i++) {
		close(tt->ready[i]);
		close(tt->go[i]);
	}
}

static void sc_enter_thread_sc_exit_thread_count_calls(void **state)
{
	struct sc_test *t = *state;
	struct traced_thread tt = {};
	struct sc_stats st;

	sc_load(t, &(struct sc_load){ .nr = NR_UNUSED, .thread_map = true, .slow_ns = 1000000000 });
	traced_thread_start(&tt);
	traced_thread_join(&tt);
	st = stats_of(t, NR_UNUSED);
	bpftest_expect_eq("stats[511].calls (thread map)", THREAD_CALLS, st.calls);
	bpftest_expect_eq("stats[511].errors (thread map)", THREAD_CALLS, st.errors);
	bpftest_expect_eq("errnos{511, ENOSYS} (thread map)", THREAD_CALLS,
			  errno_count(t, NR_UNUSED, ENOSYS));
	bpftest_expect_eq("hists[511] total (thread map)", THREAD_CALLS, hist_total(t, NR_UNUSED));
}

static void sc_thread_exit_deletes_thread_entry(void **state)
{
	struct sc_test *t = *state;
	int fd;
	struct traced_thread tt = {};
	char value[256];
	__u32 tid;

	sc_load(t, &(struct sc_load){ .nr = NR_UNUSED, .thread_map = true, .slow_ns = 1000000000 });
	fd = bpf_map__fd(t->skel->maps.thread_starts);
	assert_true(bpf_map__value_size(t->skel->maps.thread_starts) <= sizeof(value));
	traced_thread_start(&tt);
	tid = tt.tid;
	if (bpf_map_lookup_elem(fd, &tid, value)) {
		print_error("thread_starts{%u}: no entry while the thread lives\n", tid);
		fail();
	}
	traced_thread_join(&tt);
	if (!bpf_map_lookup_elem(fd, &tid, value)) {
		print_error("thread_starts{%u}: entry still there after the thread exited\n", tid);
		fail();
	}
	bpftest_expect_eq("errno of the lookup after exit", ENOENT, errno);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sc_exit_counts_calls_errors_and_errno, setup, teardown),
		cmocka_unit_test_setup_teardown(sc_exit_histogram_total_equals_timed_calls, setup,
						teardown),
		cmocka_unit_test_setup_teardown(sc_exit_counts_own_cgroup_like_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(sc_exit_counts_per_cgroup_of_caller, setup, teardown),
		cmocka_unit_test_setup_teardown(sc_exit_sends_slow_call_to_ring_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(sc_enter_thread_sc_exit_thread_count_calls, setup,
						teardown),
		cmocka_unit_test_setup_teardown(sc_thread_exit_deletes_thread_entry, setup, teardown),
	};

	bpftest_init(argc, argv);
	return cmocka_run_group_tests_name("syscalls.bpf.c", tests, NULL, NULL);
}
