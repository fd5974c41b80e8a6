/* A record as the pipeline builds it, serialized as a hostmon.v1.Envelope (proto/hostmon.proto). */
#ifndef HOSTMON_ENVELOPE_H
#define HOSTMON_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "compiler.h"

/* What the Envelope carries that the JSON record does not. */
struct envelope_ids {
	const char *instance_id;
	const char *agent_version;
};

struct record;

/*
 * Fills rec (reset as FLOW_METRICS or FLOW_AGENT_STATUS) from the json-c
 * tree of such a record: seq, ts_ns, host and boot id and the kind's message,
 * in the record's arena; strings point into the tree, which must outlive the
 * record's use. A missing field is zero or empty. 0, -EINVAL for another
 * kind, or -ENOMEM; on failure rec->arena.failed is set.
 */
HM_MUST_CHECK
int envelope_fill(struct json_object *tree, struct record *rec);

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
