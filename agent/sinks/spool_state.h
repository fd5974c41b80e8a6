/* The spool's state, shared by its two halves: the segments (spool.c) and the reader (spool_reader.c). Nothing else includes it. */
#ifndef HOSTMON_SPOOL_STATE_H
#define HOSTMON_SPOOL_STATE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "sinks/spool_stats.h"

struct segment {
	uint64_t id;
	uint64_t records; /* good records in the file */
	uint64_t acked;
	uint64_t bytes;	/* in the file */
	uint64_t staged;	/* records staged for it, not written yet */
	uint64_t staged_bytes;
	bool on_disk;	/* its file exists (a segment a batch opened has none before the commit) */
	bool unordered;	/* acked out of index order: acked records are not a prefix */
	uint8_t *acked_bits;	/* bit i: record i acknowledged; grown as acks come */
	size_t bits_len;	/* bytes */
};

/* Records back to back, headers included, as in a segment file. */
struct spool_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/* Part of the batch last committed: bytes [at, at + len) of it are segment's from file offset off. */
struct batch_part {
	uint64_t segment;
	uint64_t off;
	size_t at;
	size_t len;
};

struct spool {
	char *dir;
	uint64_t max_bytes;
	uint64_t segment_bytes;
	struct segment *segs; /* by id; only the last ones have records staged */
	size_t n;
	size_t cap;
	uint64_t replay_below; /* segments found at open have smaller ids */
	uint64_t next_id;
	int fd;			/* appends to segment fd_seg */
	uint64_t fd_seg;
	struct spool_buf stage;	/* staged records from stage_start (those before were evicted) */
	size_t stage_start;
	struct spool_buf last;	/* the batch last committed, kept for spool__read */
	struct batch_part *parts;
	size_t nparts;
	size_t parts_cap;
	struct spool_buf ahead;	/* spool__read's read-ahead: segment ahead_seg from ahead_off */
	uint64_t ahead_seg;	/* 0: holds nothing */
	uint64_t ahead_off;
	int rfd;		/* the segment spool__read reads, rfd_id */
	uint64_t rfd_id;
	struct spool_stats st;
};

/* Room for extra more bytes in b; 0 or -ENOMEM (b unchanged). */
static inline int spool_buf_reserve(struct spool_buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *grown;

	if (b->cap - b->len >= extra)
		return 0;
	while (cap - b->len < extra)
		cap *= 2;
	grown = realloc(b->data, cap);
	if (!grown)
		return -ENOMEM;
	b->data = grown;
	b->cap = cap;
	return 0;
}

/* Whether record index of s is acknowledged. */
static inline bool spool_seg_acked(const struct segment *s, uint32_t index)
{
	return index / 8 < s->bits_len && s->acked_bits[index / 8] & (1u << index % 8);
}

#endif /* HOSTMON_SPOOL_STATE_H */
