/*
 * One assigned partition: its rule state, where it is read, which of its
 * offsets wait for effects (alerts, forwarded crashes) to become durable, and
 * what its committed offset's metadata says: where to replay from and which
 * silent-host alerts are already sent.
 */
#ifndef HOSTMON_ALERT_PART_H
#define HOSTMON_ALERT_PART_H

#include <stddef.h>
#include <stdint.h>
#include "rules.h"
#include "wave.h"

#define PART_METADATA_MAX	4000	/* under the broker's offset.metadata.max.bytes (4096) */

struct pend {
	int64_t offset;
	uint32_t refs;
};

struct part {
	struct part *next;
	void *svc;		/* the service, for the emit callback */
	int by_exe;		/* a partition of the by-exe topic: wave, else rules */
	int32_t id;
	int64_t next_offset;	/* next to read; -1 until the first record */
	int64_t live_from;	/* committed at assignment: before it only rebuild state */
	int64_t committed;	/* last offset this instance committed */
	int at_eof;
	int metadata_changed;	/* a silent host's alert was delivered since the last commit */
	size_t silent_unlisted;	/* silent hosts alerted on that the last metadata could not hold */
	uint64_t stream_ns;	/* newest record's ts */
	struct rules *rules;
	struct wave *wave;
	struct pend *pend;	/* ascending offsets */
	size_t npend, cap;
	size_t refs;		/* effects outstanding (the part lives until they end) */
	char *fence;		/* silent hosts sent, from the metadata: applied when live */
	int retired;		/* revoked: freed once refs is 0 */
};

struct part *part__new(int by_exe, int32_t id, const struct rules_cfg *cfg, rules_emit_fn emit,
		       void *svc);
void part__free(struct part *p);
/* The record at offset has an effect not yet durable. 0 or -ENOMEM. */
int part__pend(struct part *p, int64_t offset);
/* One effect of the record at offset is durable (or handed back). */
void part__settle(struct part *p, int64_t offset);
/* The offset to commit now: the first with an effect pending, else the next to read; -1: none. */
int64_t part__committable(const struct part *p);
/* Records before live_from are replays. */
int part__live(const struct part *p, int64_t offset);
/* The metadata to commit with offset: replay point and silent hosts; malloc'd. */
char *part__metadata(struct part *p, int64_t offset);
/* Reads metadata (may be NULL); *replay_from -1 when absent; *fence malloc'd or NULL. */
void part__parse_metadata(const char *md, size_t len, int64_t *replay_from, char **fence);
/*
 * The time the partition's time-driven rules (silence) judge by: while a
 * backlog is read, its newest record's time (hosts are not silent because
 * their records wait in Kafka); once at the end, the clock wall_ns.
 */
uint64_t part__now(const struct part *p, uint64_t wall_ns);
/* Once live: the fence's hosts are marked sent in the rules. */
void part__apply_fence(struct part *p);

#endif /* HOSTMON_ALERT_PART_H */
