/*
 * memhog MB: allocates and touches up to MB MiB, 1 MiB at a time, then keeps
 * touching it until killed. Meant to be OOM-killed inside a smaller memory
 * cgroup; the MB bound keeps it harmless if the limit is missing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1UL << 20)

int main(int argc, char **argv)
{
	unsigned long mb, n, i;
	char **chunks, *end;

	errno = 0;
	mb = argc == 2 ? strtoul(argv[1], &end, 10) : 0;
	if (argc != 2 || errno || end == argv[1] || *end || mb == 0 || mb > 1UL << 20) {
		fprintf(stderr, "usage: %s MB (1..1048576)\n", argv[0]);
		return 2;
	}
	n = 0;
	chunks = calloc(mb, sizeof(*chunks));
	if (!chunks) {
		perror("memhog: calloc");
		return 1;
	}
	for (; n < mb; n++) {
		chunks[n] = malloc(CHUNK);
		if (!chunks[n]) {
			/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): it exits; holding memory is its job */
			perror("memhog: malloc");
			return 1;
		}
		memset(chunks[n], (int)(n + 1), CHUNK);
	}
	for (;;) {
		for (i = 0; i < n; i++)
			memset(chunks[i], (int)(i + 2), CHUNK);
		usleep(100000);
	}
}
