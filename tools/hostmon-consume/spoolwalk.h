/* hostmon-consume --spool: the records of a spool segment file, or of every segment of a spool directory in id order, read through the agent's own format module (agent/sinks/spool_format.c). */
#ifndef HOSTMON_SPOOLWALK_H
#define HOSTMON_SPOOLWALK_H

#include <stddef.h>
#include "sinks/spool_format.h"

/* What a walk hands over: each good record, and each corrupt one with what is wrong. file: the segment's path. */
struct spoolwalk_ops {
	void (*record)(void *ctx, const char *file, size_t offset, const struct spool_record *rec);
	void (*corrupt)(void *ctx, const char *file, size_t offset, const char *why);
};

/*
 * Walks path: a segment file (any name), or a spool directory's segments
 * (NNNNNNNNNNNNNNNNNNNN.seg) oldest first. A segment listed but gone before
 * it was read (acknowledged meanwhile by a running agent) is skipped with a
 * note on stderr. 0, or -errno when path or a segment in it cannot be read
 * (said on stderr, naming it).
 */
int spoolwalk(const char *path, const struct spoolwalk_ops *ops, void *ctx);

#endif /* HOSTMON_SPOOLWALK_H */
