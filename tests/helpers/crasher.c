/*
 * crasher segv|abort|threads: dies of a NULL dereference, of abort(), or of a
 * NULL dereference in one of 8 threads once all 8 are running.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 8

static pthread_barrier_t all_running;

static void null_deref(void)
{
	volatile int *volatile p = NULL;

	/* cppcheck-suppress nullPointer ; the crash is the point */
	*p = 42; /* NOLINT(clang-analyzer-core.NullDereference) */
}

static void *thread_main(void *arg)
{
	pthread_barrier_wait(&all_running);
	if ((long)arg == NTHREADS - 1)
		null_deref();
	for (;;)
		pause();
	return NULL;
}

static int crash_in_thread(void)
{
	pthread_t tid[NTHREADS];
	long i;

	pthread_barrier_init(&all_running, NULL, NTHREADS);
	for (i = 0; i < NTHREADS; i++) {
		if (pthread_create(&tid[i], NULL, thread_main, (void *)i)) {
			fprintf(stderr, "crasher: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);
	return 1;	/* not reached: the process dies of SIGSEGV */
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "segv")) {
		null_deref();
		return 1;
	}
	if (argc == 2 && !strcmp(argv[1], "abort"))
		abort();
	if (argc == 2 && !strcmp(argv[1], "threads"))
		return crash_in_thread();
	fprintf(stderr, "usage: %s segv|abort|threads\n", argv[0]);
	return 2;
}
