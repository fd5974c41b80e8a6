/* How full a BPF ring buffer is, read from its producer and consumer positions without consuming. */
#ifndef HOSTMON_RING_WATCH_H
#define HOSTMON_RING_WATCH_H
#include "core/compiler.h"

struct ring_watch;

/*
 * Maps the consumer and producer position pages of the ring buffer map
 * map_fd read-only (no capability needed once the map exists). NULL with
 * errno set.
 */
HM_MUST_CHECK
struct ring_watch *ring_watch__new(int map_fd);
void ring_watch__free(struct ring_watch *rw);
/* Bytes written and not yet consumed, as a fraction of the size: 0..1. */
double ring_watch__fill(const struct ring_watch *rw);

#endif /* HOSTMON_RING_WATCH_H */
