/* JSON lines back to messages, by the same rules (the golden files, the tests). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "record/pbjson.h"
#include "record/pbjson_rules.h"

/* --- JSON lines back to messages (golden files, tests) ------------------------ */

static void *read_message(struct json_object *obj, const ProtobufCMessageDescriptor *d);

static int enum_from_name(const ProtobufCEnumDescriptor *ed, const char *name)
{
	for (unsigned i = 0; name && i < ed->n_values; i++)
		if (!strcmp(pbjson_enum_name(ed, &ed->values[i]), name))
			return ed->values[i].value;
	return 0;
}

/* One value of field f from v into p (a field, or an element of a repeated one). */
static void read_value(const ProtobufCFieldDescriptor *f, struct json_object *v, void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*(uint32_t *)p = (uint32_t)json_object_get_int64(v);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		*(uint64_t *)p = json_object_get_uint64(v);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		*(int64_t *)p = json_object_get_int64(v);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		*(float *)p = (float)json_object_get_double(v);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		*(double *)p = json_object_get_double(v);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)p = json_object_get_boolean(v);
		break;
	case PROTOBUF_C_TYPE_ENUM:
		*(int *)p = enum_from_name(f->descriptor, json_object_get_string(v));
		break;
	case PROTOBUF_C_TYPE_STRING:
		*(char **)p = strdup(json_object_is_type(v, json_type_null) ? "" : json_object_get_string(v));
		break;
	case PROTOBUF_C_TYPE_BYTES:
		break;	/* none in hostmon.proto */
	case PROTOBUF_C_TYPE_MESSAGE:
		*(void **)p = read_message(v, f->descriptor);
		break;
	}
}

static void read_map(const ProtobufCFieldDescriptor *f, struct json_object *v, char *base)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	size_t n = 0, len = (size_t)json_object_object_length(v);
	void **entries = calloc(len ? len : 1, sizeof(*entries));
	char *e;

	if (!entries)
		return;
	json_object_object_foreach(v, key, val) {
		if (n == len || !(e = calloc(1, ed->sizeof_message)))
			break;
		protobuf_c_message_init(ed, e);
		*(char **)(e + ed->fields[0].offset) = strdup(key);
		read_value(&ed->fields[1], val, e + ed->fields[1].offset);
		entries[n++] = e;
	}
	*(void ***)(base + f->offset) = entries;
	*(size_t *)(base + f->quantifier_offset) = n;
}

static void read_repeated(const ProtobufCFieldDescriptor *f, struct json_object *v, char *base)
{
	size_t n, size = pbjson_elem_size(f->type);
	char *arr;

	if (pbjson_is_map(f)) {
		if (json_object_is_type(v, json_type_object))
			read_map(f, v, base);
		return;
	}
	if (!json_object_is_type(v, json_type_array))
		return;
	n = json_object_array_length(v);
	if (!n)
		return;
	arr = calloc(n, size);
	if (!arr)
		return;
	for (size_t i = 0; i < n; i++)
		read_value(f, json_object_array_get_idx(v, i), arr + i * size);
	*(char **)(base + f->offset) = arr;
	*(size_t *)(base + f->quantifier_offset) = n;
}

/* A guest field ([json: into=F]) was looked up in F's object by read_members: read as any other. */
static void read_field(const ProtobufCFieldDescriptor *f, struct json_object *v, char *base)
{
	if (!v || json_object_is_type(v, json_type_null)) {
		if (f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED)
			*(char **)(base + f->offset) = strdup("");
		return;
	}
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		read_repeated(f, v, base);
	else
		read_value(f, v, base + f->offset);
}

static void read_members(struct json_object *obj, const ProtobufCMessageDescriptor *d, char *base)
{
	const struct jrule *rules = pbjson_rules_of(d);
	struct json_object *v, *type = NULL, *host;

	json_object_object_get_ex(obj, "type", &type);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const struct jrule *r = rules ? &rules[i] : NULL;

		if (r && (r->flags & JR_OMIT))
			continue;
		if (r && (r->flags & JR_FLATTEN) && f->type == PROTOBUF_C_TYPE_MESSAGE) {
			if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
			    strcmp(json_object_get_string(type) ? json_object_get_string(type) : "", f->name))
				continue;
			*(void **)(base + f->offset) = read_message(obj, f->descriptor);
			if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
				*(uint32_t *)(base + f->quantifier_offset) = f->id;
			continue;
		}
		v = NULL;
		if (r && r->into >= 0) {
			if (json_object_object_get_ex(obj, rules[r->into].name, &host))
				json_object_object_get_ex(host, r->name, &v);
		} else {
			json_object_object_get_ex(obj, r ? r->name : f->name, &v);
		}
		read_field(f, v, base);
	}
}

/* A new message of d's type read from obj (JSON-lines shape). */
static void *read_message(struct json_object *obj, const ProtobufCMessageDescriptor *d)
{
	const struct jrule *rules = pbjson_rules_of(d);
	char *m = calloc(1, d->sizeof_message);

	if (!m)
		return NULL;
	protobuf_c_message_init(d, m);
	if (rules && d->n_fields == 1 && (rules[0].flags & JR_UNWRAP))
		read_field(&d->fields[0], obj, m);
	else
		read_members(obj, d, m);
	return m;
}

ProtobufCMessage *pbjson_read(struct json_object *obj, const ProtobufCMessageDescriptor *desc)
{
	pbjson_rules_compile();
	return read_message(obj, desc);
}
