/* What the benchmarks share: options, CPU pinning, foreign-program checks, medians. */
#ifndef HOSTMON_BENCH_UTIL_H
#define HOSTMON_BENCH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

#define BENCH_MAX_ROUNDS	1001

struct bench_opts {
	long rounds;
	long count;		/* calls, connections, ... per phase */
	long cpu;
	bool verbose;
};

struct bench_opt_desc {
	const char *count_flag;	/* "calls" gives --calls */
	const char *count_help;
	long count_max;
	const char *rounds_help;
	long rounds;		/* defaults */
	long count;
};

/*
 * --rounds R, --<count_flag> M, --cpu N (default: the last online CPU),
 * --verbose. Returns 0, or -EINVAL after printing the error and the usage.
 */
int bench_parse_opts(int argc, char **argv, const struct bench_opt_desc *d,
		     struct bench_opts *o);

/* libbpf's debug output only with --verbose. */
extern bool bench_verbose;
int bench_print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap);
const char *bench_bpf_err(int err);
/* --name's value as an integer in [min, max]; -EINVAL with a message otherwise. */
int bench_parse_long(const char *name, const char *s, long min, long max, long *out);
int bench_pin_cpu(long cpu);
/*
 * -EBUSY (with a message per link) when BPF links of other programs are on
 * any of hooks (NULL-terminated tracepoint names): they would run in every
 * mode, "none" included, and skew every number.
 */
int bench_check_no_foreign(const char *const *hooks, const char *when);
/* ns per call of `calls` raw getppid() calls (libc does not cache it) in a tight loop. */
double bench_time_getppid(long calls);
/* Median of the non-NAN values of v[0..n), n <= BENCH_MAX_ROUNDS; NAN when none. */
double bench_median(const double *v, int n);

#endif /* HOSTMON_BENCH_UTIL_H */
