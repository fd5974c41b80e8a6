/* One JSON writer for every hostmon.v1 message: the field walk is the descriptors', the JSON-lines exceptions are the .proto's [json: ...] rules. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "record/pbjson.h"
#include "proto/hostmon.pb-c.h"

/* The [json: ...] text of every field, read from the .proto at build time. */
static const struct rule_def {
	const char *message;	/* full name, "hostmon.v1.SlowSyscall" */
	const char *field;
	const char *rules;
} rule_defs[] = {
#include "proto/hostmon.json-rules.h"
};

#define N_DEFS (sizeof(rule_defs) / sizeof(rule_defs[0]))
#define MAX_MESSAGES 64
#define MAX_ENUMS 16

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

struct rule_set {
	const ProtobufCMessageDescriptor *desc;
	struct jrule *rules;	/* desc->n_fields */
};

struct enum_names {
	const ProtobufCEnumDescriptor *desc;
	char **names;		/* by value index, lower case, prefix stripped */
};

static struct rule_set sets[MAX_MESSAGES];
static size_t n_sets;
static struct enum_names enums[MAX_ENUMS];
static size_t n_enums;
static pthread_once_t compiled = PTHREAD_ONCE_INIT;

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

/* --- Rules ------------------------------------------------------------------- */

static int field_index(const ProtobufCMessageDescriptor *d, const char *name, size_t len)
{
	for (unsigned i = 0; i < d->n_fields; i++)
		if (strlen(d->fields[i].name) == len && !strncmp(d->fields[i].name, name, len))
			return (int)i;
	return -1;
}

static const struct rule_def *find_def(const ProtobufCMessageDescriptor *d, const char *field)
{
	for (size_t i = 0; i < N_DEFS; i++)
		if (!strcmp(rule_defs[i].message, d->name) && !strcmp(rule_defs[i].field, field))
			return &rule_defs[i];
	return NULL;
}

/* Parses one rule ("omit", "name=errno", "null_unless=hits,misses") into r; -EINVAL if unknown. */
static int parse_rule(const ProtobufCMessageDescriptor *d, const char *s, size_t len,
		      struct jrule *r)
{
	static const struct { const char *word; unsigned int flag; } flags[] = {
		{ "omit", JR_OMIT }, { "null_if_empty", JR_NULL_IF_EMPTY },
		{ "omit_if_empty", JR_OMIT_IF_EMPTY }, { "flatten", JR_FLATTEN },
		{ "unwrap", JR_UNWRAP },
	};
	const char *eq = memchr(s, '=', len), *v, *comma;
	size_t klen = eq ? (size_t)(eq - s) : len, vlen;

	for (size_t i = 0; !eq && i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strlen(flags[i].word) == len && !strncmp(flags[i].word, s, len)) {
			r->flags |= flags[i].flag;
			return 0;
		}
	if (!eq)
		return -EINVAL;
	v = eq + 1;
	vlen = len - klen - 1;
	if (klen == 4 && !strncmp(s, "name", 4)) {
		r->name = strndup(v, vlen);
		return r->name ? 0 : -ENOMEM;
	}
	if (klen == 2 && !strncmp(s, "if", 2))
		return (r->if_field = field_index(d, v, vlen)) < 0 ? -EINVAL : 0;
	if (klen == 4 && !strncmp(s, "into", 4))
		return (r->into = field_index(d, v, vlen)) < 0 ? -EINVAL : 0;
	if (klen == 11 && !strncmp(s, "null_unless", 11)) {
		comma = memchr(v, ',', vlen);
		r->null_unless[0] = field_index(d, v, comma ? (size_t)(comma - v) : vlen);
		if (comma)
			r->null_unless[1] = field_index(d, comma + 1, vlen - (size_t)(comma - v) - 1);
		return r->null_unless[0] < 0 || (comma && r->null_unless[1] < 0) ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* "a; b=c" into r. */
static int parse_rules(const ProtobufCMessageDescriptor *d, const char *text, struct jrule *r)
{
	const char *s = text, *end;
	int err;

	while (*s) {
		while (*s == ' ' || *s == ';')
			s++;
		if (!*s)
			break;
		end = strchr(s, ';');
		if (!end)
			end = s + strlen(s);
		while (end > s && end[-1] == ' ')
			end--;
		err = parse_rule(d, s, (size_t)(end - s), r);
		if (err)
			return err;
		s = end;
	}
	return 0;
}

static bool is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;
	size_t len;

	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return false;
	len = strlen(d->name);
	return d->n_fields == 2 && len > 5 && !strcmp(d->name + len - 5, "Entry") &&
	       !strcmp(d->fields[0].name, "key") && !strcmp(d->fields[1].name, "value");
}

/* sets by descriptor address, open addressing: a message's rules in a probe or two. */
#define INDEX_SIZE 256
static const struct rule_set *index_[INDEX_SIZE];

static size_t index_slot(const ProtobufCMessageDescriptor *d)
{
	return ((uintptr_t)d >> 4) % INDEX_SIZE;
}

static const struct rule_set *rule_set_of(const ProtobufCMessageDescriptor *d)
{
	for (size_t i = index_slot(d), n = 0; n < INDEX_SIZE && index_[i]; i = (i + 1) % INDEX_SIZE, n++)
		if (index_[i]->desc == d)
			return index_[i];
	return NULL;
}

static void compile_message(const ProtobufCMessageDescriptor *d);

/* Rules of one message (a bad rule leaves the field plain: pbjson_check_rules reports it). */
static void compile_fields(const ProtobufCMessageDescriptor *d, struct jrule *rules)
{
	for (unsigned i = 0; i < d->n_fields; i++) {
		const struct rule_def *def = find_def(d, d->fields[i].name);
		struct jrule *r = &rules[i];

		*r = (struct jrule){ .name = d->fields[i].name, .if_field = -1,
				     .null_unless = { -1, -1 }, .into = -1, .guest = -1 };
		if (def && parse_rules(d, def->rules, r))
			*r = (struct jrule){ .name = d->fields[i].name, .if_field = -1,
					     .null_unless = { -1, -1 }, .into = -1, .guest = -1 };
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		if (rules[i].into >= 0)
			rules[rules[i].into].guest = (int)i;
		rules[i].key_len = strlen(rules[i].name) + 3;
		rules[i].key = malloc(rules[i].key_len + 1);
		if (rules[i].key)
			snprintf(rules[i].key, rules[i].key_len + 1, "\"%s\":", rules[i].name);
	}
}

static void compile_message(const ProtobufCMessageDescriptor *d)
{
	struct jrule *rules;

	if (rule_set_of(d) || n_sets == MAX_MESSAGES)
		return;
	rules = calloc(d->n_fields ? d->n_fields : 1, sizeof(*rules));
	if (!rules)
		return;
	sets[n_sets].desc = d;
	sets[n_sets].rules = rules;
	for (size_t i = index_slot(d);; i = (i + 1) % INDEX_SIZE)
		if (!index_[i]) {
			index_[i] = &sets[n_sets++];
			break;
		}
	compile_fields(d, rules);
	for (unsigned i = 0; i < d->n_fields; i++)
		if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
			compile_message(d->fields[i].descriptor);
}

static void compile_all(void)
{
	compile_message(&hostmon__v1__envelope__descriptor);
}

static const struct jrule *rules_of(const ProtobufCMessageDescriptor *d)
{
	const struct rule_set *s = rule_set_of(d);

	return s ? s->rules : NULL;
}

/* "AddressFamily" -> "ADDRESS_FAMILY_": the prefix of its values' names. */
static void enum_prefix(const char *short_name, char *out, size_t size)
{
	size_t o = 0;

	for (const char *s = short_name; *s && o + 3 < size; s++) {
		if (s != short_name && *s >= 'A' && *s <= 'Z')
			out[o++] = '_';
		out[o++] = (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
	}
	out[o++] = '_';
	out[o] = 0;
}

static char **enum_lower_names(const ProtobufCEnumDescriptor *ed)
{
	char prefix[128], **names = calloc(ed->n_values ? ed->n_values : 1, sizeof(*names));
	size_t plen;

	if (!names)
		return NULL;
	enum_prefix(ed->short_name, prefix, sizeof(prefix));
	plen = strlen(prefix);
	for (unsigned i = 0; i < ed->n_values; i++) {
		const char *v = ed->values[i].name;

		if (!strncmp(v, prefix, plen) && v[plen])
			v += plen;
		names[i] = strdup(v);
		for (char *c = names[i]; c && *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}
	return names;
}

static const char *enum_json_name(const ProtobufCEnumDescriptor *ed, const ProtobufCEnumValue *ev)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	char **names = NULL;
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < n_enums && enums[i].desc != ed; i++)
		;
	if (i == n_enums && n_enums < MAX_ENUMS) {
		enums[n_enums].desc = ed;
		enums[n_enums++].names = enum_lower_names(ed);
	}
	if (i < n_enums)
		names = enums[i].names;
	pthread_mutex_unlock(&lock);
	return names && names[ev - ed->values] ? names[ev - ed->values] : ev->name;
}

/* --- Values ------------------------------------------------------------------ */

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
		return elem_size(f->type) == 4 ? *(const uint32_t *)p == 0 : *(const uint64_t *)p == 0;
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
		put_string(b, mode == PBJSON_LINES ? enum_json_name(ed, ev) : ev->name);
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

	if (is_map(f)) {
		put_map(b, f, n, (ProtobufCMessage *const *)arr, mode);
		return;
	}
	putc_(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			putc_(b, ',');
		put_value(b, f, arr + i * elem_size(f->type), mode);
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
	const struct jrule *rules = mode == PBJSON_LINES ? rules_of(d) : NULL;
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
	const struct jrule *rules = mode == PBJSON_LINES ? rules_of(msg->descriptor) : NULL;

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
		put_field(b, msg->descriptor, 0, (const char *)msg, rules_of(msg->descriptor), mode);
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
	pthread_once(&compiled, compile_all);
	put_object(b, msg, mode, NULL, NULL, NULL);
	if (!b->err)
		b->data[b->len] = 0;	/* reserve kept a byte for it */
	return b->err;
}

/* --- The rules' own check ------------------------------------------------------ */

static int check_message(const ProtobufCMessageDescriptor *d, char *err, size_t errlen)
{
	struct jrule r;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const struct rule_def *def = find_def(d, d->fields[i].name);

		r = (struct jrule){ .if_field = -1, .null_unless = { -1, -1 }, .into = -1 };
		if (!def) {
			snprintf(err, errlen, "%s.%s has no JSON rule entry", d->name, d->fields[i].name);
			return -EINVAL;
		}
		if (parse_rules(d, def->rules, &r)) {
			snprintf(err, errlen, "%s.%s: bad JSON rule '%s'", d->name, d->fields[i].name,
				 def->rules);
			free((char *)r.name);
			return -EINVAL;
		}
		free((char *)r.name);
	}
	return 0;
}

/* Every message reachable from d, depth first; map entries are not the .proto's own messages. */
static int check_tree(const ProtobufCMessageDescriptor *d, const ProtobufCMessageDescriptor **seen,
		      size_t *n_seen, char *err, size_t errlen)
{
	int ret;

	for (size_t i = 0; i < *n_seen; i++)
		if (seen[i] == d)
			return 0;
	if (*n_seen == MAX_MESSAGES) {
		snprintf(err, errlen, "more than %d messages", MAX_MESSAGES);
		return -EINVAL;
	}
	seen[(*n_seen)++] = d;
	ret = check_message(d, err, errlen);
	for (unsigned i = 0; !ret && i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (is_map(f)) {
			const ProtobufCFieldDescriptor *vf = &((const ProtobufCMessageDescriptor *)
								f->descriptor)->fields[1];

			if (vf->type == PROTOBUF_C_TYPE_MESSAGE)
				ret = check_tree(vf->descriptor, seen, n_seen, err, errlen);
			continue;
		}
		ret = check_tree(f->descriptor, seen, n_seen, err, errlen);
	}
	return ret;
}

/* Every entry names a message reached from root and one of its fields. */
static int check_defs(const ProtobufCMessageDescriptor **seen, size_t n_seen, char *err,
		      size_t errlen)
{
	for (size_t k = 0; k < N_DEFS; k++) {
		size_t i;

		for (i = 0; i < n_seen && strcmp(seen[i]->name, rule_defs[k].message); i++)
			;
		if (i == n_seen || field_index(seen[i], rule_defs[k].field,
					       strlen(rule_defs[k].field)) < 0) {
			snprintf(err, errlen, "JSON rule entry %s.%s names no field", rule_defs[k].message,
				 rule_defs[k].field);
			return -EINVAL;
		}
	}
	return 0;
}

int pbjson_check_rules(const ProtobufCMessageDescriptor *root, char *err, size_t errlen)
{
	const ProtobufCMessageDescriptor *seen[MAX_MESSAGES] = { 0 };
	size_t n_seen = 0;
	int ret = check_tree(root, seen, &n_seen, err, errlen);

	return ret ? ret : check_defs(seen, n_seen, err, errlen);
}

/* --- JSON lines back to messages (golden files, tests) ------------------------ */

static void *read_message(struct json_object *obj, const ProtobufCMessageDescriptor *d);

static int enum_from_name(const ProtobufCEnumDescriptor *ed, const char *name)
{
	for (unsigned i = 0; name && i < ed->n_values; i++)
		if (!strcmp(enum_json_name(ed, &ed->values[i]), name))
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
	size_t n, size = elem_size(f->type);
	char *arr;

	if (is_map(f)) {
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
	const struct jrule *rules = rules_of(d);
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
	const struct jrule *rules = rules_of(d);
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
	pthread_once(&compiled, compile_all);
	return read_message(obj, desc);
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
