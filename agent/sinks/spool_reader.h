/* The spool's reader: the segments found at open replayed once, and the cursor the Kafka producer reads the spool with. */
#ifndef HOSTMON_SPOOL_READER_H
#define HOSTMON_SPOOL_READER_H

#include <stdint.h>
#include "core/compiler.h"
#include "sinks/spool.h"

/*
 * Calls fn for each good record of the segments found at open, in order,
 * with its position for spool__ack. Call once, before the first stage.
 */
typedef void (*spool_replay_fn)(void *ctx, const struct spool_record *rec);
HM_MUST_CHECK
int spool__replay(struct spool *sp, spool_replay_fn fn, void *ctx);

/*
 * Where the producer reads next. A zeroed cursor is the oldest record; it
 * moves on by itself past evicted segments and acknowledged records.
 */
struct spool_cursor {
	uint64_t segment;
	uint32_t index;		/* good records before it in its segment */
	uint64_t offset;	/* bytes before it in its segment */
};

/*
 * The first committed record at or after cur that is not acknowledged, into
 * *rec (with its position for spool__ack); cur is left on it (spool__advance
 * steps past it). rec->payload points into the spool's memory, valid until
 * the next call on the spool: the batch last committed while cur is on it,
 * else a read-ahead buffer filled a chunk at a time (CRC checked), so
 * neither an allocation nor a read per record. 0, -ENOENT when there is none
 * left (caught up), or -errno.
 */
HM_MUST_CHECK
int spool__read(struct spool *sp, struct spool_cursor *cur, struct spool_record *rec);
/* Steps cur past the record spool__read returned. */
void spool__advance(struct spool_cursor *cur, const struct spool_record *rec);

#endif /* HOSTMON_SPOOL_READER_H */
