/* A small event loop: each fd is registered with its callback and context, and dispatch is a call through them. */
#ifndef HOSTMON_EVLOOP_H
#define HOSTMON_EVLOOP_H

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>	/* the events: EPOLLIN... */
#include "core/compiler.h"

struct evloop;

/* Called with the context given at evloop__add, the fd and the epoll events it is ready for. */
typedef void (*evloop_fn)(void *ctx, int fd, uint32_t events);

/* NULL with errno set. */
HM_MUST_CHECK
struct evloop *evloop__new(void);
/* Closes the loop's own epoll fd, not the fds registered with it. */
void evloop__free(struct evloop *loop);
/*
 * Watches fd for events (EPOLLIN...; level-triggered) and calls fn(ctx, fd,
 * ready) each time it is ready. 0, or -errno (-EEXIST: fd is registered already).
 */
HM_MUST_CHECK
int evloop__add(struct evloop *loop, int fd, uint32_t events, evloop_fn fn, void *ctx);
/* Stops watching fd: its callback is not called again, even for events already waiting. 0 or -errno. */
int evloop__del(struct evloop *loop, int fd);
/*
 * Waits up to timeout_ms (0: not at all, -1: without end), with sigmask in
 * place while it waits (NULL: the mask as it is), then calls the callback of
 * every fd that is ready. The callbacks called, 0 on a timeout or when a
 * signal interrupted the wait, or -errno when the wait failed.
 */
int evloop__run_once(struct evloop *loop, int timeout_ms, const sigset_t *sigmask);

#endif /* HOSTMON_EVLOOP_H */
