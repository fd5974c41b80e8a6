/* The event loop: one epoll, and a table indexed by fd of the callback and context each fd was added with. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "core/evloop.h"

/* Events taken from one wait; the rest wait for the next (level-triggered). */
#define EVLOOP_BATCH	16

struct evloop_fd {
	evloop_fn fn;		/* NULL: the fd is not watched */
	void *ctx;
};

struct evloop {
	int epfd;
	struct evloop_fd *fds;	/* indexed by fd */
	size_t nfds;
};

struct evloop *evloop__new(void)
{
	struct evloop *loop = calloc(1, sizeof(*loop));
	int err;

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		err = errno;
		free(loop);
		errno = err;
		return NULL;
	}
	return loop;
}

void evloop__free(struct evloop *loop)
{
	if (!loop)
		return;
	close(loop->epfd);
	free(loop->fds);
	free(loop);
}

/* Grows the table so that fd has a slot. */
static int reserve(struct evloop *loop, int fd)
{
	size_t n = (size_t)fd + 1;
	struct evloop_fd *fds;

	if (n <= loop->nfds)
		return 0;
	fds = realloc(loop->fds, n * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	memset(fds + loop->nfds, 0, (n - loop->nfds) * sizeof(*fds));
	loop->fds = fds;
	loop->nfds = n;
	return 0;
}

int evloop__add(struct evloop *loop, int fd, uint32_t events, evloop_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	int ret;

	if (fd < 0 || !fn)
		return -EINVAL;
	ret = reserve(loop, fd);
	if (ret)
		return ret;
	/* An fd added already: -EEXIST from epoll, the table untouched. */
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	loop->fds[fd] = (struct evloop_fd){ .fn = fn, .ctx = ctx };
	return 0;
}

int evloop__del(struct evloop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nfds || !loop->fds[fd].fn)
		return -ENOENT;
	loop->fds[fd] = (struct evloop_fd){ 0 };
	return epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL) ? -errno : 0;
}

int evloop__run_once(struct evloop *loop, int timeout_ms, const sigset_t *sigmask)
{
	struct epoll_event evs[EVLOOP_BATCH];
	int n, called = 0;

	n = epoll_pwait(loop->epfd, evs, EVLOOP_BATCH, timeout_ms, sigmask);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;

		/* A callback before may have removed it. */
		if ((size_t)fd >= loop->nfds || !loop->fds[fd].fn)
			continue;
		loop->fds[fd].fn(loop->fds[fd].ctx, fd, evs[i].events);
		called++;
	}
	return called;
}
