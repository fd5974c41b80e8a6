/*
 * in_cgroup DIR CMD [ARG...]: moves itself into the cgroup (v2) directory DIR
 * (its pid written to DIR/cgroup.procs), then execs CMD. It makes no other
 * syscall of its own before the exec, so a test that counts one workload's
 * calls counts CMD's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[4096], pid[32];
	int fd, n;

	if (argc < 3) {
		fprintf(stderr, "usage: %s CGROUP_DIR CMD [ARG...]\n", argv[0]);
		return 2;
	}
	if (snprintf(path, sizeof(path), "%s/cgroup.procs", argv[1]) >= (int)sizeof(path)) {
		fprintf(stderr, "in_cgroup: path too long: %s\n", argv[1]);
		return 2;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, pid, (size_t)n) != n) {
		fprintf(stderr, "in_cgroup: joining %s: %s\n", path, strerror(errno));
		return 1;
	}
	close(fd);
	execvp(argv[2], argv + 2);
	fprintf(stderr, "in_cgroup: exec %s: %s\n", argv[2], strerror(errno));
	return 127;
}
