// SPDX-License-Identifier: GPL-2.0
/* Benchmark timer: ns per raw getppid() call in a tight loop pinned to one CPU. */
#include <sched.h>
#include <stdio.h>
#include "bench_util.h"

#define MAX_CALLS	1000000000L

/*
 * getppid_ns CALLS CPU: pins itself to CPU, warms up with a tenth of CALLS,
 * then prints the ns per call of CALLS calls on one line.
 */
int main(int argc, char **argv)
{
	long calls, cpu;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CALLS CPU\n", argv[0]);
		return 2;
	}
	if (bench_parse_long("calls", argv[1], 1, MAX_CALLS, &calls) ||
	    bench_parse_long("cpu", argv[2], 0, CPU_SETSIZE - 1, &cpu))
		return 2;
	if (bench_pin_cpu(cpu))
		return 1;
	bench_time_getppid(calls / 10 + 1);
	printf("%.3f\n", bench_time_getppid(calls));
	return 0;
}
