// SPDX-License-Identifier: GPL-2.0
/* Benchmark: ns the syscall probe adds per getppid() call, against no tracing
 * and against the floor (empty programs on the same two tracepoints). */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench_util.h"
#include "histogram.h"
#include "syscalls.h"
#include "floor.skel.h"
#include "syscalls.skel.h"

#define GOAL_RATIO	1.5
#define MAX_CALLS	1000000000L

enum mode { MODE_NONE, MODE_FLOOR, MODE_PROBE, MODE_MAX };

static const char *const mode_names[MODE_MAX] = { "none", "floor", "probe" };

/* Programs already there (a running hostmond, another tracer) skew every mode. */
static const char *const hooks[] = { "sys_enter", "sys_exit", NULL };


/* The options: --rounds, --calls (the loop's length), --cpu, --verbose. */
static const struct bench_opt_desc opt_desc = {
	.count_flag = "calls",
	.count_help = "getppid() calls per phase",
	.count_max = MAX_CALLS,
	.rounds_help = "interleaved rounds of none/floor/probe",
	.rounds = 21,
	.count = 2000000,
};

struct bench {
	struct bench_opts opts;
	struct floor_bpf *floor;
	struct syscalls_bpf *probe;
	double *ns[MODE_MAX];	/* ns per call, per round */
	double *ratio;		/* per round; NAN when the floor added nothing */
};

static int floor_open(struct bench *b)
{
	int err;

	b->floor = floor_bpf__open_and_load();
	if (!b->floor) {
		err = -errno;
		fprintf(stderr, "bench: open/load floor programs failed: %s\n", bench_bpf_err(err));
		return err;
	}
	return 0;
}

/* Configured like hostmond's defaults: every syscall traced, default threshold. */
static int probe_open(struct bench *b)
{
	int err, i;

	b->probe = syscalls_bpf__open();
	if (!b->probe) {
		err = -errno;
		fprintf(stderr, "bench: open syscalls probe failed: %s\n", bench_bpf_err(err));
		return err;
	}
	for (i = 0; i < SC_BITMAP_WORDS; i++)
		b->probe->rodata->traced[i] = ~0ULL;
	/* Every call is compared with the agent's tgid: the parent stands in for it. */
	b->probe->rodata->self_tgid = getppid();
	/* hostmond's default sampling of very hot syscalls ([syscalls] sample_above). */
	b->probe->rodata->sample_above = SC_SAMPLE_ABOVE_DEFAULT;
	/* The task-storage path, as hostmond takes it on this kernel; not the 5.10 one too. */
	bpf_program__set_autoload(b->probe->progs.sc_enter_thread, false);
	bpf_program__set_autoload(b->probe->progs.sc_exit_thread, false);
	bpf_program__set_autoload(b->probe->progs.sc_thread_exit, false);
	bpf_map__set_autocreate(b->probe->maps.thread_starts, false);
	err = syscalls_bpf__load(b->probe);
	if (err) {
		fprintf(stderr, "bench: load syscalls probe failed: %s\n", bench_bpf_err(err));
		return err;
	}
	return 0;
}

static int attach(struct bench *b, enum mode m)
{
	int err = 0;

	if (m == MODE_FLOOR)
		err = floor_bpf__attach(b->floor);
	else if (m == MODE_PROBE)
		err = syscalls_bpf__attach(b->probe);
	if (err)
		fprintf(stderr, "bench: attach %s programs failed: %s\n",
			mode_names[m], bench_bpf_err(err));
	return err;
}

static void detach(struct bench *b, enum mode m)
{
	if (m == MODE_FLOOR)
		floor_bpf__detach(b->floor);
	else if (m == MODE_PROBE)
		syscalls_bpf__detach(b->probe);
}

static int run_phase(struct bench *b, enum mode m, double *ns_per_call)
{
	int err;

	err = attach(b, m);
	if (err)
		return err;
	*ns_per_call = bench_time_getppid(b->opts.count);
	detach(b, m);
	return 0;
}

static void print_round(const struct bench *b, int r, const enum mode *order)
{
	double none = b->ns[MODE_NONE][r];
	double floor_ns = b->ns[MODE_FLOOR][r], probe = b->ns[MODE_PROBE][r];
	char ord[32];

	snprintf(ord, sizeof(ord), "%s,%s,%s", mode_names[order[0]],
		 mode_names[order[1]], mode_names[order[2]]);
	printf("%5d  %-16s %9.2f %9.2f %9.2f %9.2f %9.2f %7.2f\n", r + 1, ord, none,
	       floor_ns, probe, floor_ns - none, probe - none, b->ratio[r]);
}

/* Round r runs the modes rotated by r, so drift lands on every mode alike. */
static int run_round(struct bench *b, int r)
{
	enum mode order[MODE_MAX];
	double added_floor;
	int k, err;

	for (k = 0; k < MODE_MAX; k++) {
		order[k] = (enum mode)((r + k) % MODE_MAX);
		err = run_phase(b, order[k], &b->ns[order[k]][r]);
		if (err)
			return err;
	}
	added_floor = b->ns[MODE_FLOOR][r] - b->ns[MODE_NONE][r];
	b->ratio[r] = added_floor > 0 ?
		      (b->ns[MODE_PROBE][r] - b->ns[MODE_NONE][r]) / added_floor : NAN;
	print_round(b, r, order);
	return 0;
}

/* getppid() calls the probe has counted since load, summed over possible CPUs. */
static int probe_getppid_calls(struct bench *b, __u64 *calls)
{
	struct bpf_map *map = b->probe->maps.stats;
	size_t vsz = (bpf_map__value_size(map) + 7) & ~(size_t)7;
	__u32 key = SYS_getppid;
	int ncpu, err, i;
	char *buf;

	ncpu = libbpf_num_possible_cpus();
	if (ncpu < 0) {
		fprintf(stderr, "bench: count possible CPUs failed: %s\n", bench_bpf_err(ncpu));
		return ncpu;
	}
	buf = calloc(ncpu, vsz);
	if (!buf)
		return -ENOMEM;
	err = bpf_map__lookup_elem(map, &key, sizeof(key), buf, ncpu * vsz, 0);
	if (err) {
		fprintf(stderr, "bench: read stats[%u] failed: %s\n", key, bench_bpf_err(err));
		goto out;
	}
	*calls = 0;
	for (i = 0; i < ncpu; i++)
		*calls += ((const struct sc_stats *)(buf + i * vsz))->calls;
out:
	free(buf);
	return err;
}

static void report(const struct bench *b)
{
	int n = b->opts.rounds;
	double none = bench_median(b->ns[MODE_NONE], n);
	double floor_ns = bench_median(b->ns[MODE_FLOOR], n);
	double probe = bench_median(b->ns[MODE_PROBE], n);
	double ratio = bench_median(b->ratio, n);
	bool met = !isnan(ratio) && ratio <= GOAL_RATIO;

	printf("\nmedians over %d rounds (ns per getppid call):\n", n);
	printf("  none          %9.2f\n", none);
	printf("  floor         %9.2f\n", floor_ns);
	printf("  probe         %9.2f\n", probe);
	printf("  added floor   %9.2f\n", floor_ns - none);
	printf("  added probe   %9.2f\n", probe - none);
	printf("  ratio         %9.2f  (median of per-round added probe / added floor)\n",
	       ratio);
	printf("goal <= %.1f: %s\n", GOAL_RATIO, met ? "met" : "not met");
}

/* The probe must have timed every call of its phases, or we measured nothing. */
static int check_counted(struct bench *b, __u64 before)
{
	__u64 after, want = (__u64)b->opts.rounds * b->opts.count;
	int err;

	err = probe_getppid_calls(b, &after);
	if (err)
		return err;
	printf("probe counted %llu getppid calls in its phases (loop made %llu)\n",
	       (unsigned long long)(after - before), (unsigned long long)want);
	if (after - before < want) {
		fprintf(stderr, "bench: probe counted only %llu of %llu getppid calls\n",
			(unsigned long long)(after - before), (unsigned long long)want);
		return -EIO;
	}
	return 0;
}

static int run(struct bench *b)
{
	__u64 before;
	int r, err;

	err = probe_getppid_calls(b, &before);
	if (err)
		return err;
	printf("syscall_overhead: %ld getppid calls per phase, %ld rounds, CPU %ld\n",
	       b->opts.count, b->opts.rounds, b->opts.cpu);
	printf("%5s  %-16s %9s %9s %9s %9s %9s %7s\n", "round", "order", "none",
	       "floor", "probe", "+floor", "+probe", "ratio");
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
		b->ns[m] = calloc(b->opts.rounds, sizeof(double));
		if (!b->ns[m])
			return -ENOMEM;
	}
	b->ratio = calloc(b->opts.rounds, sizeof(double));
	if (!b->ratio)
		return -ENOMEM;
	err = bench_pin_cpu(b->opts.cpu);
	if (!err)
		err = floor_open(b);
	if (!err)
		err = probe_open(b);
	return err;
}

static void bench_free(struct bench *b)
{
	int m;

	syscalls_bpf__destroy(b->probe);
	floor_bpf__destroy(b->floor);
	for (m = 0; m < MODE_MAX; m++)
		free(b->ns[m]);
	free(b->ratio);
}

int main(int argc, char **argv)
{
	struct bench b = {};
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
