/* Protobuf-c message -> JSON through descriptors: one walker for every Envelope kind, present and future. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pbjson.h"

static size_t elem_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		return 8;
	}
}

static struct json_object *bytes_hex(const ProtobufCBinaryData *b)
{
	struct json_object *o;
	static const char digits[] = "0123456789abcdef";
	char *hex = malloc(b->len * 2 + 1);
	size_t i;

	if (!hex)
		return NULL;
	for (i = 0; i < b->len; i++) {
		hex[2 * i] = digits[b->data[i] >> 4];
		hex[2 * i + 1] = digits[b->data[i] & 0xf];
	}
	hex[b->len * 2] = '\0';
	o = json_object_new_string(hex);
	free(hex);
	return o;
}

static struct json_object *enum_value(const ProtobufCEnumDescriptor *ed, int v)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, v);

	/* A value newer than this copy of the .proto: its number, not a failure. */
	return ev ? json_object_new_string(ev->name) : json_object_new_int(v);
}

/* One value of field f stored at p. */
static struct json_object *value(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_object_new_int(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_object_new_int64(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_object_new_int64(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return json_object_new_uint64(*(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		return json_object_new_double(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return json_object_new_double(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_object_new_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM:
		return enum_value(f->descriptor, *(const int *)p);
	case PROTOBUF_C_TYPE_STRING:
		return json_object_new_string(*(char *const *)p ? *(char *const *)p : "");
	case PROTOBUF_C_TYPE_BYTES:
		return bytes_hex(p);
	case PROTOBUF_C_TYPE_MESSAGE:
		return pbjson_message(*(ProtobufCMessage *const *)p);
	}
	return NULL;
}

/* A map field is a repeated message of a two-field entry type (key = 1, value = 2). */
static int is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;
	size_t len;

	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return 0;
	len = strlen(d->name);
	return d->n_fields == 2 && len > 5 && !strcmp(d->name + len - 5, "Entry") &&
	       !strcmp(d->fields[0].name, "key") && !strcmp(d->fields[1].name, "value");
}

static struct json_object *map_entries(const ProtobufCFieldDescriptor *f, size_t n,
				       ProtobufCMessage *const *entries)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;
	struct json_object *obj = json_object_new_object();
	size_t i;

	for (i = 0; obj && i < n; i++) {
		const char *e = (const char *)entries[i];
		struct json_object *k = value(&d->fields[0], e + d->fields[0].offset);
		struct json_object *v = value(&d->fields[1], e + d->fields[1].offset);

		/* Non-string keys become their JSON text, as proto3's JSON mapping does. */
		if (!k || !v || json_object_object_add(obj, json_object_get_string(k), v)) {
			json_object_put(v);
			json_object_put(obj);
			obj = NULL;
		}
		json_object_put(k);
	}
	return obj;
}

static struct json_object *repeated(const ProtobufCFieldDescriptor *f, const char *base)
{
	size_t n = *(const size_t *)(base + f->quantifier_offset);
	const char *arr = *(char *const *)(base + f->offset);
	struct json_object *a;
	size_t i;

	if (is_map(f))
		return map_entries(f, n, (ProtobufCMessage *const *)arr);
	a = json_object_new_array_ext((int)n);
	for (i = 0; a && i < n; i++) {
		struct json_object *v = value(f, arr + i * elem_size(f->type));

		if (!v || json_object_array_add(a, v)) {
			json_object_put(v);
			json_object_put(a);
			a = NULL;
		}
	}
	return a;
}

/* 1: f is to be left out of msg's JSON (an unset oneof member or message). */
static int absent(const ProtobufCFieldDescriptor *f, const char *base)
{
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
		return 1;
	return f->label != PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_MESSAGE &&
	       !*(void *const *)(base + f->offset);
}

struct json_object *pbjson_message(const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const char *base = (const char *)msg;
	struct json_object *obj = json_object_new_object(), *v;
	unsigned i;

	for (i = 0; obj && i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (absent(f, base))
			continue;
		v = f->label == PROTOBUF_C_LABEL_REPEATED ? repeated(f, base)
							  : value(f, base + f->offset);
		if (!v || json_object_object_add(obj, f->name, v)) {
			json_object_put(v);
			json_object_put(obj);
			obj = NULL;
		}
	}
	return obj;
}
