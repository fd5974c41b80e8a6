/* Listening sockets: a Unix socket that is never more open than 0660, and a TCP port. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "serve/listener.h"

#define LISTENER_BACKLOG	64
#define LISTENER_GROUP		"hostmon"

/* mkdir -p of path's directory (0755 for what it creates); the directory in dir. */
static int make_parent(const char *path, char *dir, size_t dirlen)
{
	char *slash;

	snprintf(dir, dirlen, "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return snprintf(dir, dirlen, "."), 0;
	if (slash == dir)
		return snprintf(dir, dirlen, "/"), 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(dir, 0755) && errno != EEXIST ? -errno : 0;
}

/* Takes PATH.lock; -EADDRINUSE with the holder's pid in err when another agent has it. */
static int take_lock(const char *path, char *err, size_t errlen)
{
	char lock[PATH_MAX], pid[32] = "";
	int fd, ret;

	snprintf(lock, sizeof(lock), "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", lock, strerror(-ret));
		return ret;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
		if (pread(fd, pid, sizeof(pid) - 1, 0) < 0)
			pid[0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen, "another hostmond (pid %s) is serving %s", pid[0] ? pid : "?",
			 path);
		close(fd);
		return ret;
	}
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, strlen(pid), 0) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", lock, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

/* Binds and listens at tmp (a path in a private directory), then sets mode and group. */
static int bind_private(const char *tmp, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct group *gr = getgrnam(LISTENER_GROUP);
	int fd, ret;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", tmp) >= (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(tmp, 0660) ||
	    (gr && chown(tmp, (uid_t)-1, gr->gr_gid)) || listen(fd, LISTENER_BACKLOG)) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", tmp, strerror(-ret));
		close(fd);
		unlink(tmp);
		return ret;
	}
	return fd;
}

/* Refuses to replace anything at path that is not a socket. */
static int check_target(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (S_ISSOCK(st.st_mode))
		return 0;
	snprintf(err, errlen, "%s exists and is not a socket; not replacing it", path);
	return -EEXIST;
}

static int bind_and_move(const char *path, const char *dir, char *err, size_t errlen)
{
	/* Room for the private directory's socket in sun_path. */
	char tmpdir[sizeof(((struct sockaddr_un *)0)->sun_path) - 2], tmp[PATH_MAX];
	int n, fd, ret;

	n = snprintf(tmpdir, sizeof(tmpdir), "%s/.hostmond-XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(tmpdir) ||
	    strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "socket path %s is too long for a Unix socket", path);
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(tmpdir)) {
		ret = -errno;
		snprintf(err, errlen, "cannot create a directory in %s: %s", dir, strerror(-ret));
		return ret;
	}
	snprintf(tmp, sizeof(tmp), "%s/s", tmpdir);
	fd = bind_private(tmp, err, errlen);
	if (fd >= 0 && rename(tmp, path)) {
		ret = -errno;
		snprintf(err, errlen, "cannot move the socket to %s: %s", path, strerror(-ret));
		close(fd);
		unlink(tmp);
		fd = ret;
	}
	rmdir(tmpdir);
	return fd;
}

int listener_unix(const char *path, int *lock_fd, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int ret, lock, fd;

	ret = make_parent(path, dir, sizeof(dir));
	if (ret) {
		snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(-ret));
		return ret;
	}
	lock = take_lock(path, err, errlen);
	if (lock < 0)
		return lock;
	ret = check_target(path, err, errlen);
	fd = ret ? ret : bind_and_move(path, dir, err, errlen);
	if (fd < 0) {
		close(lock);
		return fd;
	}
	*lock_fd = lock;
	return fd;
}

void listener_unix_remove(const char *path, int lock_fd)
{
	if (lock_fd < 0)
		return;
	unlink(path);
	close(lock_fd);
}

/* Splits "HOST:PORT" or "[V6]:PORT" into host and port. */
static int split_hostport(const char *hostport, char *host, size_t hostlen, const char **port)
{
	const char *colon = strrchr(hostport, ':');
	size_t n;

	if (!colon || !colon[1])
		return -EINVAL;
	n = (size_t)(colon - hostport);
	if (hostport[0] == '[' && n >= 2 && hostport[n - 1] == ']') {
		hostport++;
		n -= 2;
	}
	if (!n || n >= hostlen)
		return -EINVAL;
	memcpy(host, hostport, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}

int listener_tcp(const char *hostport, char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
	}, *ai = NULL;
	char host[64];
	const char *port;
	int fd, one = 1;

	if (split_hostport(hostport, host, sizeof(host), &port) ||
	    getaddrinfo(host, port, &hints, &ai)) {
		snprintf(err, errlen, "'%s' is not NUMERIC_HOST:PORT", hostport);
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, LISTENER_BACKLOG)) {
		int ret = -errno;

		snprintf(err, errlen, "cannot listen on %s: %s", hostport, strerror(-ret));
		if (fd >= 0)
			close(fd);
		fd = ret;
	}
	freeaddrinfo(ai);
	return fd;
}
