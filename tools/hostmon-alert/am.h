/*
 * The Alertmanager client: a bounded FIFO of alerts, posted in batches to
 * /api/v2/alerts (libcurl), retried with exponential backoff while
 * Alertmanager fails. Each alert carries its owner's token; the owner hears
 * once per token whether it was delivered, dropped (the queue was full) or
 * handed back (am__release_owner).
 */
#ifndef HOSTMON_ALERT_AM_H
#define HOSTMON_ALERT_AM_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"

enum am_outcome { AM_DELIVERED, AM_DROPPED, AM_RELEASED };

typedef void (*am_done_fn)(void *ctx, void *token, enum am_outcome outcome);

struct am_cfg {
	char url[512];		/* Alertmanager base URL, e.g. http://127.0.0.1:9093 */
	char generator_url[256];
	long timeout_ms;	/* per request */
	size_t queue_max;	/* alerts held; past it the oldest is dropped and counted */
	uint64_t retry_min_ns;
	uint64_t retry_max_ns;
	size_t batch_max;	/* alerts per request */
};

struct am_stats {
	uint64_t sent;		/* alerts Alertmanager accepted */
	uint64_t requests;
	uint64_t errors;	/* failed requests (connection, timeout, non-2xx) */
	uint64_t dropped;	/* alerts given up on: the queue was full */
	uint64_t queued;	/* alerts waiting now */
	uint64_t last_status;	/* HTTP status of the last request, 0: none reached */
};

struct am;

struct am *am__new(const struct am_cfg *cfg, am_done_fn done, void *ctx);
/* Posts what is left (at most wait_ms), then frees; tokens left are handed back. */
void am__free(struct am *am, long wait_ms);
/* Queues the alert; owner groups tokens for am__release_owner. 0 or -ENOMEM. */
int am__enqueue(struct am *am, const struct alert *a, void *owner, void *token);
/* Posts one batch when one is due (now or after the backoff); returns the alerts still queued. */
size_t am__pump(struct am *am, uint64_t now_ns);
/* Queued alerts of owner, done with AM_RELEASED, removed. */
void am__release_owner(struct am *am, const void *owner);
size_t am__queued_of(const struct am *am, const void *owner);
void am__stats(const struct am *am, struct am_stats *out);

#endif /* HOSTMON_ALERT_AM_H */
