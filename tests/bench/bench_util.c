/* What the benchmarks share: options, CPU pinning, foreign-program checks, medians. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "bench_util.h"

bool bench_verbose;

int bench_print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !bench_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

const char *bench_bpf_err(int err)
{
	static char buf[128];

	libbpf_strerror(err, buf, sizeof(buf));
	return buf;
}

int bench_parse_long(const char *name, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "bench: --%s: '%s' is not an integer in [%ld, %ld]\n",
			name, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static double elapsed_ns(const struct timespec *t0, const struct timespec *t1)
{
	return (t1->tv_sec - t0->tv_sec) * 1e9 + (t1->tv_nsec - t0->tv_nsec);
}

/* Nothing but the calls between the two clock reads. */
double bench_time_getppid(long calls)
{
	struct timespec t0, t1;
	long i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < calls; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return elapsed_ns(&t0, &t1) / calls;
}

int bench_pin_cpu(long cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "bench: pin to CPU %ld failed: %s\n", cpu, strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * bpf_link_info's perf_event member for a tracepoint (uapi of kernel 6.6;
 * the installed 6.1 headers predate it). Older kernels leave it zero.
 */
struct perf_tp_link_info {
	__u32 type;
	__u32 id;
	__u32 prog_id;
	__u32 :32;
	__u32 perf_event_type;	/* enum bpf_perf_event_type */
	__u32 :32;
	__u64 tp_name;
	__u32 name_len;
	__u32 :32;
	__u64 cookie;
};

#define PERF_EVENT_TRACEPOINT	5	/* BPF_PERF_EVENT_TRACEPOINT */

/* The tracepoint name of a raw (tp_btf included) or perf-event tracepoint link; "" else. */
static int link_tp_name(__u32 link_id, char *name, __u32 len, __u32 *prog_id)
{
	struct perf_tp_link_info pi = {};
	struct bpf_link_info info = {};
	__u32 info_len = sizeof(info);
	int fd, err;

	name[0] = '\0';
	fd = bpf_link_get_fd_by_id(link_id);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;	/* gone meanwhile */
	/* Ask for the type first: other types read their own buffer fields. */
	err = bpf_obj_get_info_by_fd(fd, &info, &info_len);
	*prog_id = info.prog_id;
	if (!err && info.type == BPF_LINK_TYPE_RAW_TRACEPOINT) {
		memset(&info, 0, sizeof(info));
		info.raw_tracepoint.tp_name = (__u64)(unsigned long)name;
		info.raw_tracepoint.tp_name_len = len;
		err = bpf_obj_get_info_by_fd(fd, &info, &info_len);
	} else if (!err && info.type == BPF_LINK_TYPE_PERF_EVENT) {
		info_len = sizeof(pi);
		err = bpf_obj_get_info_by_fd(fd, &pi, &info_len);
		if (!err && pi.perf_event_type == PERF_EVENT_TRACEPOINT) {
			pi.tp_name = (__u64)(unsigned long)name;
			pi.name_len = len;
			err = bpf_obj_get_info_by_fd(fd, &pi, &info_len);
		}
	}
	close(fd);
	if (err == -ENOSPC) {	/* a longer name than any of ours */
		name[0] = '\0';
		err = 0;
	}
	return err;
}

static bool is_hook(const char *const *hooks, const char *name)
{
	for (; *hooks; hooks++)
		if (!strcmp(name, *hooks))
			return true;
	return false;
}

/*
 * Programs already on these hooks (a running hostmond, another tracer) run
 * in both modes, "none" included, and would skew every number. Attachments
 * made without a BPF link (perf ioctl, as bcc does) are not seen.
 */
int bench_check_no_foreign(const char *const *hooks, const char *when)
{
	__u32 id = 0, prog_id = 0;
	char name[64];
	int n = 0, err;

	while (!bpf_link_get_next_id(id, &id)) {
		err = link_tp_name(id, name, sizeof(name), &prog_id);
		if (err) {
			fprintf(stderr, "bench: read BPF link %u failed: %s\n", id, bench_bpf_err(err));
			return err;
		}
		if (!is_hook(hooks, name))
			continue;
		fprintf(stderr, "bench: %s: link %u (prog %u) is attached to %s\n",
			when, id, prog_id, name);
		n++;
	}
	if (n) {
		fprintf(stderr, "bench: %d foreign program(s) on the measured hooks would "
			"skew every mode (stop them; see bpftool link show)\n", n);
		return -EBUSY;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of the non-NAN values of v[0..n); NAN when there are none. */
double bench_median(const double *v, int n)
{
	double s[BENCH_MAX_ROUNDS];
	int i, m = 0;

	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			s[m++] = v[i];
	if (!m)
		return NAN;
	qsort(s, m, sizeof(s[0]), cmp_double);
	return m % 2 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
}


static void usage(const char *prog, const struct bench_opt_desc *d)
{
	char count[32];

	snprintf(count, sizeof(count), "--%s M", d->count_flag);
	fprintf(stderr,
		"usage: %s [--rounds R] [--%s M] [--cpu N] [--verbose]\n"
		"  --rounds R  %s (default %ld)\n"
		"  %-11s %s (default %ld)\n"
		"  --cpu N     CPU the loop is pinned to (default: last online)\n",
		prog, d->count_flag, d->rounds_help, d->rounds, count, d->count_help, d->count);
}

int bench_parse_opts(int argc, char **argv, const struct bench_opt_desc *d,
		     struct bench_opts *o)
{
	const struct option longopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ d->count_flag, required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c, err = 0;

	o->rounds = d->rounds;
	o->count = d->count;
	o->cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	o->verbose = false;
	while (!err && (c = getopt_long(argc, argv, "r:n:c:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			err = bench_parse_long("rounds", optarg, 1, BENCH_MAX_ROUNDS, &o->rounds);
			break;
		case 'n':
			err = bench_parse_long(d->count_flag, optarg, 1, d->count_max, &o->count);
			break;
		case 'c': err = bench_parse_long("cpu", optarg, 0, CPU_SETSIZE - 1, &o->cpu); break;
		case 'v': o->verbose = true; break;
		default: err = -EINVAL; break;
		}
	}
	if (!err && optind < argc) {
		fprintf(stderr, "bench: unexpected argument '%s'\n", argv[optind]);
		err = -EINVAL;
	}
	if (err)
		usage(argv[0], d);
	return err;
}
