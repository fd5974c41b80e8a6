// SPDX-License-Identifier: GPL-2.0
/* Benchmark floor as a process: holds the empty sys_enter/sys_exit programs
 * attached until SIGTERM or SIGINT, so a script can time other work meanwhile. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bench_util.h"
#include "floor.skel.h"

/* SIGTERM and SIGINT blocked, to be taken by sigwait: no window between a check and a wait. */
static int block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	if (sigprocmask(SIG_BLOCK, set, NULL))
		return -errno;
	/* Gone with the script that started it, however that one ends. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM))
		return -errno;
	return 0;
}

/* Prints "floor: attached" once both programs are on their tracepoints. */
int main(void)
{
	struct floor_bpf *skel;
	sigset_t set;
	int err, sig;

	libbpf_set_print(bench_print_libbpf);
	err = block_signals(&set);
	if (err) {
		fprintf(stderr, "floor_hold: set up signals failed: %s\n", bench_bpf_err(err));
		return 1;
	}
	skel = floor_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "floor_hold: open/load floor programs failed: %s\n",
			bench_bpf_err(-errno));
		return 1;
	}
	err = floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "floor_hold: attach floor programs failed: %s\n",
			bench_bpf_err(err));
		goto out;
	}
	/* The script waits for this line: it must get out now, or not at all. */
	if (printf("floor: attached\n") < 0 || fflush(stdout)) {
		err = -EIO;
		goto out;
	}
	sigwait(&set, &sig);
out:
	floor_bpf__destroy(skel);
	return err ? 1 : 0;
}
