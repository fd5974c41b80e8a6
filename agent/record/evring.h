/* The recent detail events, serialized, for GET /events: written by the event loop, read by the socket. */
#ifndef HOSTMON_EVRING_H
#define HOSTMON_EVRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

#define EVRING_CAPACITY	4096

struct evring;

HM_MUST_CHECK
struct evring *evring__new(size_t capacity);
void evring__free(struct evring *r);
/*
 * Keeps a copy of line (one JSON object, len bytes) under seq, over the
 * oldest when full; a slot's buffer is reused, so once the ring has gone
 * round, pushing allocates only for a line longer than its slot held.
 */
HM_MUST_CHECK
int evring__push(struct evring *r, uint64_t seq, const char *line, size_t len);

/*
 * Calls fn for the events with seq > since, oldest first, at most limit of
 * them (with tail, the newest limit of them), under the ring's lock (fn must
 * not block). Returns how many; *oldest gets the oldest seq still held (0
 * when empty), so a reader sees a gap.
 */
size_t evring__read(struct evring *r, uint64_t since, size_t limit, bool tail,
		    void (*fn)(void *ctx, uint64_t seq, const char *line), void *ctx,
		    uint64_t *oldest);

#endif /* HOSTMON_EVRING_H */
