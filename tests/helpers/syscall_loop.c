/* syscall_loop N NR: makes exactly N raw calls of syscall number NR with zero arguments, then exits 0. */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "helpers.h"

int main(int argc, char **argv)
{
	uint64_t n, nr, i;

	if (argc != 3 || parse_u64(argv[1], UINT64_MAX, &n) || parse_u64(argv[2], 1023, &nr)) {
		fprintf(stderr, "usage: %s N NR (N calls of syscall NR, 0..1023, zero arguments)\n",
			argv[0]);
		return 2;
	}
	for (i = 0; i < n; i++)
		syscall((long)nr, 0L, 0L, 0L);
	return 0;
}
