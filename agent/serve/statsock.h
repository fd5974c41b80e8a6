/* The stats socket: HTTP/1.1 on a Unix socket (libmicrohttpd, its own thread) serving published snapshots. */
#ifndef HOSTMON_STATSOCK_H
#define HOSTMON_STATSOCK_H

#include <stddef.h>
#include <json-c/json.h>
#include "config/config.h"
#include "core/compiler.h"

struct statsock;
struct snapshot;
struct evring;

/* What an admin endpoint asks of the event loop, which alone changes agent state. */
enum statsock_admin_op {
	STATSOCK_ADMIN_LOG_LEVEL,
	STATSOCK_ADMIN_RELOAD,
};

struct statsock_admin {
	enum statsock_admin_op op;
	enum log_level level;		/* STATSOCK_ADMIN_LOG_LEVEL */
};

/*
 * Listens on the Unix socket path (see listener_unix) and, if metrics_listen
 * is not empty, on that TCP address for /metrics only, and starts serving.
 * Until the first statsock__publish every endpoint answers 503. NULL with
 * errno set and err saying why (EADDRINUSE: another agent serves path).
 */
HM_MUST_CHECK
struct statsock *statsock__new(const char *path, const char *metrics_listen,
			       struct evring *events, char *err, size_t errlen);
/* Stops the server thread, then removes the socket file. */
void statsock__free(struct statsock *ss);

/* Makes snap what readers see from now on; takes over the caller's reference. */
void statsock__publish(struct statsock *ss, struct snapshot *snap);

/* Readable (an eventfd) when an admin request waits for the event loop. */
int statsock__admin_fd(const struct statsock *ss);
/* The waiting request: 1 with *req filled, 0 when there is none. */
int statsock__admin_take(struct statsock *ss, struct statsock_admin *req);
/* Answers the request last taken: HTTP status and a JSON body (copied). */
void statsock__admin_answer(struct statsock *ss, unsigned int status, const char *body);

/* The error body of every failed request: {"error":{"code":...,"message":...}}. */
HM_MUST_CHECK
struct json_object *statsock_error(const char *code, const char *message);

#endif /* HOSTMON_STATSOCK_H */
