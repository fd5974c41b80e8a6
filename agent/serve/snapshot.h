/* What the stats socket serves: immutable, reference-counted snapshots the event loop builds. */
#ifndef HOSTMON_SNAPSHOT_H
#define HOSTMON_SNAPSHOT_H

#include <stddef.h>
#include <json-c/json.h>
#include "core/compiler.h"

struct snapshot_window;

/* Never changed after it is built; readers hold a reference while they use it. */
struct snapshot {
	int refs;
	char *health;		/* GET /health body */
	size_t health_len;
	char *stats;		/* the latest metrics record; NULL before the first window */
	size_t stats_len;
	char *metrics;		/* GET /metrics body */
	size_t metrics_len;
	/* stats and metrics: shared by the snapshots of one window and state */
	struct snapshot_window *window;
};

struct snapshot *snapshot__get(struct snapshot *s);
/* Drops a reference; the last one frees. Safe from any thread, NULL ignored. */
void snapshot__put(struct snapshot *s);

/* The event loop's side: running totals and the latest state, turned into snapshots. */
struct snapshot_builder;

HM_MUST_CHECK
struct snapshot_builder *snapshot_builder__new(void);
void snapshot_builder__free(struct snapshot_builder *b);
/* A window closed: adds it to the totals and makes it the latest (keeps a reference). */
void snapshot_builder__window(struct snapshot_builder *b, struct json_object *metrics);
/*
 * The agent's state (starting, running, degraded, draining) and the /health
 * details it adds as they are (probe families, running config...); takes
 * ownership of details.
 */
void snapshot_builder__health(struct snapshot_builder *b, const char *state,
			      struct json_object *details);
/* A new snapshot of all of it (one reference, the caller's); NULL on allocation failure. */
HM_MUST_CHECK
struct snapshot *snapshot_builder__build(struct snapshot_builder *b);

#endif /* HOSTMON_SNAPSHOT_H */
