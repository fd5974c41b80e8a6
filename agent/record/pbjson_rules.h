/* The [json: ...] rules of proto/hostmon.proto compiled per message: what pbjson's writer and reader share. */
#ifndef HOSTMON_PBJSON_RULES_H
#define HOSTMON_PBJSON_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

enum {
	JR_OMIT = 1 << 0,
	JR_NULL_IF_EMPTY = 1 << 1,
	JR_OMIT_IF_EMPTY = 1 << 2,
	JR_FLATTEN = 1 << 3,
	JR_UNWRAP = 1 << 4,
};

/* One field's rule, compiled: sibling fields by index into the descriptor's fields, -1 for none. */
struct jrule {
	const char *name;	/* JSON key */
	char *key;		/* its text in JSON, "name": */
	size_t key_len;
	unsigned int flags;
	int if_field;
	int null_unless[2];
	int into;		/* this field is written inside that sibling's object */
	int guest;		/* the sibling written inside this field's object */
};

/* Compiles every message's rules, once (thread-safe); the writer and the reader call it first. */
void pbjson_rules_compile(void);
/* The rules of d's fields (d->n_fields of them), NULL for a message the rules do not know. */
const struct jrule *pbjson_rules_of(const ProtobufCMessageDescriptor *d);
/* An enum value's JSON-lines name: lower case, without the enum's prefix. */
const char *pbjson_enum_name(const ProtobufCEnumDescriptor *ed, const ProtobufCEnumValue *ev);
/* A map field (repeated entries of a generated *Entry message). */
bool pbjson_is_map(const ProtobufCFieldDescriptor *f);
/* Bytes one element of a repeated field of type takes in its array. */
size_t pbjson_elem_size(ProtobufCType type);

/*
 * Checks the JSON rules against the descriptors reachable from root: every
 * field of every message has an entry (tools/gen-json-rules), every entry
 * names a field that exists, every rule parses and names siblings that
 * exist. 0, or -EINVAL with the first problem in err.
 */
int pbjson_check_rules(const ProtobufCMessageDescriptor *root, char *err, size_t errlen);

#endif /* HOSTMON_PBJSON_RULES_H */
