/* The .proto's [json: ...] rules, compiled once per message; enum value names in JSON; the rules' own check. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record/pbjson_rules.h"
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

bool pbjson_is_map(const ProtobufCFieldDescriptor *f)
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

const struct jrule *pbjson_rules_of(const ProtobufCMessageDescriptor *d)
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

const char *pbjson_enum_name(const ProtobufCEnumDescriptor *ed, const ProtobufCEnumValue *ev)
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

void pbjson_rules_compile(void)
{
	pthread_once(&compiled, compile_all);
}

size_t pbjson_elem_size(ProtobufCType type)
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
		if (pbjson_is_map(f)) {
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
