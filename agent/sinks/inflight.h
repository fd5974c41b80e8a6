/* Records librdkafka holds: what each one's delivery report needs, in a slot its message's opaque names. */
#ifndef HOSTMON_INFLIGHT_H
#define HOSTMON_INFLIGHT_H

#include <stdbool.h>
#include <stdint.h>
#include "core/compiler.h"
#include "sinks/spool.h"

/* What a delivery report must know of its record without decoding it. */
struct inflight_msg {
	struct spool_pos pos;	/* segment 0: produced without the spool */
	uint64_t seq;
	uint32_t kind;		/* enum flow_kind */
	bool mine;		/* written by this agent instance (not replayed) */
};

struct inflight;

HM_MUST_CHECK
struct inflight *inflight__new(void);
void inflight__free(struct inflight *inf);
/*
 * Keeps msg in a slot and returns the opaque that names it (never NULL), or
 * NULL without memory. Slots are reused through a free list: no allocation
 * per record once the pool has grown to the records in flight.
 */
void *inflight__put(struct inflight *inf, const struct inflight_msg *msg);
/* The msg put under opaque into *out, its slot freed; false for NULL or an opaque not held. */
bool inflight__take(struct inflight *inf, void *opaque, struct inflight_msg *out);
/* Frees every slot: their messages went with the producer that held them. */
void inflight__clear(struct inflight *inf);
/* Slots in use. */
uint32_t inflight__count(const struct inflight *inf);

#endif /* HOSTMON_INFLIGHT_H */
