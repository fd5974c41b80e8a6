/* The stats server's listening sockets: the Unix socket file, made safely, and a TCP port. */
#ifndef HOSTMON_LISTENER_H
#define HOSTMON_LISTENER_H

#include <stddef.h>
#include "core/compiler.h"

/*
 * Listens on a Unix socket at path, mode 0660 (group hostmon when it exists)
 * from the moment it appears there: it is bound in a private directory and
 * renamed into place, replacing a stale socket of a dead agent. Missing
 * directories are created. PATH.lock, held while *lock_fd stays open, tells
 * a live agent apart: then -EADDRINUSE and err names its pid. Returns the
 * listening fd or -errno with err set.
 */
HM_MUST_CHECK
int listener_unix(const char *path, int *lock_fd, char *err, size_t errlen);
/* Removes the socket file and closes the lock (the lock file stays). */
void listener_unix_remove(const char *path, int lock_fd);

/* Listens on "HOST:PORT" ("127.0.0.1:9464", "[::1]:9464"); fd or -errno with err set. */
HM_MUST_CHECK
int listener_tcp(const char *hostport, char *err, size_t errlen);

#endif /* HOSTMON_LISTENER_H */
