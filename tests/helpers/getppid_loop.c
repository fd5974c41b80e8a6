/*
 * getppid_loop N: makes exactly N raw getppid syscalls (no libc caching), then
 * exits 0. On SIGTERM it stops early and prints how many it made, then exits
 * 0: a storm that lasts until the test has seen what it waits for, with an
 * exact count all the same.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	unsigned long n, i;
	char *end;

	if (argc != 2) {
		fprintf(stderr, "usage: %s N\n", argv[0]);
		return 2;
	}
	errno = 0;
	n = strtoul(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || argv[1][0] == '-') {
		fprintf(stderr, "getppid_loop: bad N '%s'\n", argv[1]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	if (sigaction(SIGTERM, &sa, NULL)) {
		perror("getppid_loop: sigaction");
		return 1;
	}
	for (i = 0; i < n && !stop; i++)
		syscall(SYS_getppid);
	if (stop && printf("%lu\n", i) < 0)
		return 1;
	return 0;
}
