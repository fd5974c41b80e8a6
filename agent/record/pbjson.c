/* One JSON writer for every hostmon.v1 message: the field walk is the descriptors', the JSON-lines exceptions are the .proto's [json: ...] rules. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "record/pbjson.h"
#include "record/pbjson_rules.h"

void pbjson_buf_reset(struct pbjson_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->data)
		b->data[0] = 0;
}

void pbjson_buf_free(struct pbjson_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static bool reserve(struct pbjson_buf *b, size_t more)
{
	size_t cap;
	char *grown;

	if (b->err)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	grown = realloc(b->data, cap);
	if (!grown) {
		b->err = -ENOMEM;
		return false;
	}
	b->data = grown;
	b->cap = cap;
	return true;
}

/* The text is NUL-terminated once, at the end of pbjson_write. */
static inline void put(struct pbjson_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap && !reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

static inline void putc_(struct pbjson_buf *b, char c)
{
	if (b->len + 2 > b->cap && !reserve(b, 1))
		return;
	b->data[b->len++] = c;
}

static void put_u64(struct pbjson_buf *b, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char tmp[20];
	size_t i = sizeof(tmp);

	while (v >= 100) {
		i -= 2;
		memcpy(tmp + i, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		i -= 2;
		memcpy(tmp + i, pairs + 2 * v, 2);
	} else {
		tmp[--i] = (char)('0' + v);
	}
	put(b, tmp + i, sizeof(tmp) - i);
}

static void put_i64(struct pbjson_buf *b, int64_t v)
{
	if (v < 0) {
		putc_(b, '-');
		put_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(b, (uint64_t)v);
	}
}

/* The shortest text that reads back as v, always a JSON real; null for NaN and infinities. */
static void put_double(struct pbjson_buf *b, double v)
{
	char tmp[40];
	int n = 0;

	if (!isfinite(v)) {
		put(b, "null", 4);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(tmp, sizeof(tmp) - 2, "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	if (!strpbrk(tmp, ".e")) {
		tmp[n++] = '.';
		tmp[n++] = '0';
	}
	put(b, tmp, (size_t)n);
}

/* Bytes JSON needs escaped: control characters, '"' and '\\'. */
static const unsigned char needs_escape[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

static void put_escape(struct pbjson_buf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 0, '0', '0', 0, 0 };
	size_t n = 2;

	switch (c) {
	case '"': esc[1] = '"'; break;
	case '\\': esc[1] = '\\'; break;
	case '\n': esc[1] = 'n'; break;
	case '\r': esc[1] = 'r'; break;
	case '\t': esc[1] = 't'; break;
	case '\b': esc[1] = 'b'; break;
	case '\f': esc[1] = 'f'; break;
	default:
		esc[1] = 'u';
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 0xf];
		n = 6;
	}
	put(b, esc, n);
}

static void put_string(struct pbjson_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : ""), *run = p;

	putc_(b, '"');
	for (; *p; p++) {
		if (!needs_escape[*p])
			continue;
		put(b, (const char *)run, (size_t)(p - run));
		put_escape(b, *p);
		run = p + 1;
	}
	put(b, (const char *)run, (size_t)(p - run));
	putc_(b, '"');
}

static void put_key(struct pbjson_buf *b, const char *key, bool *first)
{
	if (!*first)
		putc_(b, ',');
	*first = false;
	put_string(b, key);
	putc_(b, ':');
}

/* A rule's key, its text made once ("name":). */
static void put_rule_key(struct pbjson_buf *b, const struct jrule *r, bool *first)
{
	if (!*first)
		putc_(b, ',');
	*first = false;
	if (r->key)
		put(b, r->key, r->key_len);
	else
		put_key(b, r->name, &(bool){ true });
}

/* --- Values ------------------------------------------------------------------ */

/* True when the value at p is its type's zero: 0, false, "", no bytes, no message. */
static bool is_zero(const ProtobufCFieldDescriptor *f, const char *base)
{
	const char *p = base + f->offset;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)(base + f->quantifier_offset) == 0;
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		return !*(char *const *)p || !**(char *const *)p;
	case PROTOBUF_C_TYPE_MESSAGE:
		return !*(void *const *)p;
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len == 0;
	case PROTOBUF_C_TYPE_BOOL:
		return !*(const protobuf_c_boolean *)p;
	case PROTOBUF_C_TYPE_DOUBLE: {
		double d;

		memcpy(&d, p, sizeof(d));
		return d == 0;
	}
	case PROTOBUF_C_TYPE_FLOAT: {
		float v;

		memcpy(&v, p, sizeof(v));
		return v == 0;
	}
	default:
		return pbjson_elem_size(f->type) == 4 ? *(const uint32_t *)p == 0 : *(const uint64_t *)p == 0;
	}
}

static void put_bytes(struct pbjson_buf *b, const ProtobufCBinaryData *bd)
{
	static const char digits[] = "0123456789abcdef";

	putc_(b, '"');
	for (size_t i = 0; i < bd->len; i++) {
		putc_(b, digits[bd->data[i] >> 4]);
		putc_(b, digits[bd->data[i] & 0xf]);
	}
	putc_(b, '"');
}

static void put_enum(struct pbjson_buf *b, const ProtobufCFieldDescriptor *f, int v,
		     enum pbjson_mode mode)
{
	const ProtobufCEnumDescriptor *ed = f->descriptor;
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, v);

	/* A value newer than this copy of the .proto: its number, not a failure. */
	if (!ev)
		put_i64(b, v);
	else
		put_string(b, mode == PBJSON_LINES ? pbjson_enum_name(ed, ev) : ev->name);
}

static void put_object(struct pbjson_buf *b, const ProtobufCMessage *msg, enum pbjson_mode mode,
		       const ProtobufCFieldDescriptor *guest_f, const char *guest_base,
		       const struct jrule *guest_r);

/* One value of field f stored at p. */
static void put_value(struct pbjson_buf *b, const ProtobufCFieldDescriptor *f, const void *p,
		      enum pbjson_mode mode)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		put_i64(b, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		put_u64(b, *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		put_i64(b, *(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		put_u64(b, *(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		put_double(b, *(const float *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		put_double(b, *(const double *)p);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		if (*(const protobuf_c_boolean *)p)
			put(b, "true", 4);
		else
			put(b, "false", 5);
		break;
	case PROTOBUF_C_TYPE_ENUM:
		put_enum(b, f, *(const int *)p, mode);
		break;
	case PROTOBUF_C_TYPE_STRING:
		put_string(b, *(char *const *)p ? *(char *const *)p : "");
		break;
	case PROTOBUF_C_TYPE_BYTES:
		put_bytes(b, p);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		put_object(b, *(ProtobufCMessage *const *)p, mode, NULL, NULL, NULL);
		break;
	}
}

/* A map field as an object; non-string keys as their JSON text, as proto3's JSON mapping does. */
static void put_map(struct pbjson_buf *b, const ProtobufCFieldDescriptor *f, size_t n,
		    ProtobufCMessage *const *entries, enum pbjson_mode mode)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;
	const ProtobufCFieldDescriptor *kf = &d->fields[0], *vf = &d->fields[1];

	putc_(b, '{');
	for (size_t i = 0; i < n; i++) {
		const char *e = (const char *)entries[i];

		if (i)
			putc_(b, ',');
		if (kf->type == PROTOBUF_C_TYPE_STRING) {
			put_string(b, *(char *const *)(e + kf->offset));
		} else {
			putc_(b, '"');
			put_value(b, kf, e + kf->offset, mode);
			putc_(b, '"');
		}
		putc_(b, ':');
		put_value(b, vf, e + vf->offset, mode);
	}
	putc_(b, '}');
}

static void put_repeated(struct pbjson_buf *b, const ProtobufCFieldDescriptor *f, const char *base,
			 enum pbjson_mode mode)
{
	size_t n = *(const size_t *)(base + f->quantifier_offset);
	const char *arr = *(char *const *)(base + f->offset);

	if (pbjson_is_map(f)) {
		put_map(b, f, n, (ProtobufCMessage *const *)arr, mode);
		return;
	}
	putc_(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			putc_(b, ',');
		put_value(b, f, arr + i * pbjson_elem_size(f->type), mode);
	}
	putc_(b, ']');
}

/* The field's value with its null rules applied. */
static void put_field(struct pbjson_buf *b, const ProtobufCMessageDescriptor *d, unsigned i,
		      const char *base, const struct jrule *rules, enum pbjson_mode mode)
{
	const ProtobufCFieldDescriptor *f = &d->fields[i];
	const struct jrule *r = rules ? &rules[i] : NULL;
	const ProtobufCMessage *sub;

	if (r && (((r->flags & JR_NULL_IF_EMPTY) && is_zero(f, base)) ||
		  (r->null_unless[0] >= 0 && is_zero(&d->fields[r->null_unless[0]], base) &&
		   (r->null_unless[1] < 0 || is_zero(&d->fields[r->null_unless[1]], base))))) {
		put(b, "null", 4);
	} else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		put_repeated(b, f, base, mode);
	} else if (f->type == PROTOBUF_C_TYPE_MESSAGE && r && r->guest >= 0) {
		sub = *(ProtobufCMessage *const *)(base + f->offset);
		put_object(b, sub, mode, &d->fields[r->guest], base, &rules[r->guest]);
	} else {
		put_value(b, f, base + f->offset, mode);
	}
}

/* False for a field the JSON leaves out here: an unset oneof member or message, or by its rules. */
static bool present(const ProtobufCMessageDescriptor *d, unsigned i, const char *base,
		    const struct jrule *r)
{
	const ProtobufCFieldDescriptor *f = &d->fields[i];

	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
		return false;
	if (f->label != PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_MESSAGE &&
	    !*(void *const *)(base + f->offset))
		return false;
	if (!r)
		return true;
	if ((r->flags & JR_OMIT) || r->into >= 0)
		return false;
	if ((r->flags & JR_OMIT_IF_EMPTY) && is_zero(f, base))
		return false;
	return r->if_field < 0 || !is_zero(&d->fields[r->if_field], base);
}

/* The name of msg's set oneof member (an Envelope's event), NULL when none is set. */
static const char *oneof_name(const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const char *base = (const char *)msg;

	for (unsigned i = 0; i < d->n_fields; i++)
		if ((d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + d->fields[i].quantifier_offset) == d->fields[i].id)
			return d->fields[i].name;
	return NULL;
}

static void put_members(struct pbjson_buf *b, const ProtobufCMessage *msg, enum pbjson_mode mode,
			bool *first)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const struct jrule *rules = mode == PBJSON_LINES ? pbjson_rules_of(d) : NULL;
	const char *base = (const char *)msg;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (!present(d, i, base, rules ? &rules[i] : NULL))
			continue;
		if (rules && (rules[i].flags & JR_FLATTEN) && f->type == PROTOBUF_C_TYPE_MESSAGE &&
		    f->label != PROTOBUF_C_LABEL_REPEATED) {
			put_members(b, *(ProtobufCMessage *const *)(base + f->offset), mode, first);
			continue;
		}
		if (rules)
			put_rule_key(b, &rules[i], first);
		else
			put_key(b, f->name, first);
		put_field(b, d, i, base, rules, mode);
	}
}

/* A message whose one field is [json: unwrap]: that field's value stands for it. */
static bool unwrapped(const ProtobufCMessage *msg, enum pbjson_mode mode)
{
	const struct jrule *rules = mode == PBJSON_LINES ? pbjson_rules_of(msg->descriptor) : NULL;

	return rules && msg->descriptor->n_fields == 1 && (rules[0].flags & JR_UNWRAP);
}

static void put_object(struct pbjson_buf *b, const ProtobufCMessage *msg, enum pbjson_mode mode,
		       const ProtobufCFieldDescriptor *guest_f, const char *guest_base,
		       const struct jrule *guest_r)
{
	const char *type;
	bool first = true;

	if (!msg) {
		put(b, "null", 4);
		return;
	}
	if (unwrapped(msg, mode)) {
		put_field(b, msg->descriptor, 0, (const char *)msg, pbjson_rules_of(msg->descriptor), mode);
		return;
	}
	putc_(b, '{');
	type = mode != PBJSON_PROTO ? oneof_name(msg) : NULL;
	if (type) {
		put_key(b, "type", &first);
		put_string(b, type);
	}
	if (guest_f) {
		put_rule_key(b, guest_r, &first);
		put_value(b, guest_f, guest_base + guest_f->offset, mode);
	}
	put_members(b, msg, mode, &first);
	putc_(b, '}');
}

int pbjson_write(struct pbjson_buf *b, const ProtobufCMessage *msg, enum pbjson_mode mode)
{
	pbjson_rules_compile();
	put_object(b, msg, mode, NULL, NULL, NULL);
	if (!b->err)
		b->data[b->len] = 0;	/* reserve kept a byte for it */
	return b->err;
}

struct json_object *pbjson_object(const ProtobufCMessage *msg, enum pbjson_mode mode)
{
	struct pbjson_buf b = { 0 };
	struct json_object *obj = NULL;

	if (!pbjson_write(&b, msg, mode))
		obj = json_tokener_parse(b.data);
	pbjson_buf_free(&b);
	return obj;
}
