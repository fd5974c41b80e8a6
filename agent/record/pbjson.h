/* Protobuf-c messages as JSON text, walked through their descriptors: hostmond's JSON lines and hostmon-consume's output. */
#ifndef HOSTMON_PBJSON_H
#define HOSTMON_PBJSON_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>
#include "core/compiler.h"
#include "record/pbjson_rules.h"	/* pbjson_check_rules */

/* A growing text buffer, reused from record to record; always NUL-terminated once written. */
struct pbjson_buf {
	char *data;
	size_t len;
	size_t cap;
	int err;	/* -ENOMEM once a write found no memory; the text is then cut */
};

void pbjson_buf_reset(struct pbjson_buf *b);
void pbjson_buf_free(struct pbjson_buf *b);

enum pbjson_mode {
	/*
	 * The JSON-lines shape: the [json: ...] rules of proto/hostmon.proto
	 * (compatibility rule 8), enums by lower-case value name without the
	 * enum's prefix.
	 */
	PBJSON_LINES,
	/*
	 * The .proto's own shape: every field by its .proto name, proto3 zeros
	 * included, unset messages and oneof members left out, enums by their
	 * full value name, bytes as lowercase hex.
	 */
	PBJSON_PROTO,
	/* PBJSON_PROTO with "type": the name of the message's set oneof member, first. */
	PBJSON_PROTO_TYPED,
};

/*
 * Appends msg as one JSON object (no newline) to b. 64-bit integers are
 * exact, doubles the shortest text that reads back the same (always with a
 * '.' or an exponent), strings escaped but otherwise as they are (the
 * agent's are valid UTF-8: encode_utf8). 0, or -ENOMEM (b->err).
 */
HM_MUST_CHECK
int pbjson_write(struct pbjson_buf *b, const ProtobufCMessage *msg, enum pbjson_mode mode);

/*
 * The reverse of PBJSON_LINES, for golden files and tests: a message of
 * desc's type read from a JSON-lines object (keys it does not know are
 * ignored, a missing or null field is zero or empty), allocated with malloc
 * as protobuf_c_message_free_unpacked(msg, NULL) frees it. NULL without memory.
 */
struct json_object;
ProtobufCMessage *pbjson_read(struct json_object *obj, const ProtobufCMessageDescriptor *desc);

/* pbjson_write parsed back by json-c, for tools and tests; NULL without memory. */
struct json_object *pbjson_object(const ProtobufCMessage *msg, enum pbjson_mode mode);

#endif /* HOSTMON_PBJSON_H */
