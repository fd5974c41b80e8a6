/* The ids an Envelope carries beside its record, and the head of a packed one. */
#ifndef HOSTMON_ENVELOPE_H
#define HOSTMON_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

/* What the Envelope carries that the JSON record does not. */
struct envelope_ids {
	const char *instance_id;
	const char *agent_version;
};

/* A random RFC 4122 version 4 UUID in out (37 bytes); 0 or -errno from getrandom. */
HM_MUST_CHECK
int envelope_instance_id(char out[37]);
/* Who and when a packed envelope is (unpacked with protobuf-c). */
struct envelope_head {
	char instance_id[37];
	uint64_t seq;
	uint64_t ts_ns;
	const char *type;	/* the record's "type" (static), "" for a kind unknown here */
};

/* 0, or -EINVAL when buf is not an Envelope. */
HM_MUST_CHECK
int envelope_head(const uint8_t *buf, size_t len, struct envelope_head *h);

#endif /* HOSTMON_ENVELOPE_H */
