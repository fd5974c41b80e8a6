/* Typed records: reset per record, strings and nested messages from an arena that keeps its chunks. */
#include <stdlib.h>
#include <string.h>
#include "core/encode.h"
#include "record/record.h"

#define CHUNK_MIN (64u << 10)

struct record_chunk {
	struct record_chunk *next;
	size_t size;
	/* cppcheck-suppress unusedStructMember ; the chunk's bytes follow */
	max_align_t data[];
};

void record__reset(struct record *rec, enum flow_kind kind)
{
	rec->arena.cur = rec->arena.chunks;
	rec->arena.used = 0;
	rec->arena.failed = 0;
	rec->kind = kind;
	rec->seq = 0;
	rec->ts_ns = 0;
	hostmon__v1__envelope__init(&rec->env);
	switch (kind) {
	case FLOW_SLOW_SYSCALL:
		hostmon__v1__slow_syscall__init(&rec->ev.slow_syscall);
		rec->env.event_case = HOSTMON__V1__ENVELOPE__EVENT_SLOW_SYSCALL;
		rec->env.slow_syscall = &rec->ev.slow_syscall;
		break;
	case FLOW_CONN_ERROR:
		hostmon__v1__conn_error__init(&rec->ev.conn_error);
		rec->env.event_case = HOSTMON__V1__ENVELOPE__EVENT_CONN_ERROR;
		rec->env.conn_error = &rec->ev.conn_error;
		break;
	case FLOW_PROCESS_CRASH:
		hostmon__v1__process_crash__init(&rec->ev.process_crash);
		rec->env.event_case = HOSTMON__V1__ENVELOPE__EVENT_PROCESS_CRASH;
		rec->env.process_crash = &rec->ev.process_crash;
		break;
	case FLOW_OOM_KILL:
		hostmon__v1__oom_kill__init(&rec->ev.oom_kill);
		rec->env.event_case = HOSTMON__V1__ENVELOPE__EVENT_OOM_KILL;
		rec->env.oom_kill = &rec->ev.oom_kill;
		break;
	case FLOW_AGENT_STATUS:
		hostmon__v1__agent_status__init(&rec->ev.agent_status);
		rec->env.event_case = HOSTMON__V1__ENVELOPE__EVENT_AGENT_STATUS;
		rec->env.agent_status = &rec->ev.agent_status;
		break;
	case FLOW_METRICS:
		hostmon__v1__metrics_window__init(&rec->ev.metrics);
		rec->env.event_case = HOSTMON__V1__ENVELOPE__EVENT_METRICS;
		rec->env.metrics = &rec->ev.metrics;
		break;
	default:
		break;
	}
}

void record__fini(struct record *rec)
{
	struct record_chunk *c, *next;

	for (c = rec->arena.chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	memset(&rec->arena, 0, sizeof(rec->arena));
}

/* The next kept chunk with room for size, else a new one at the end of the list. */
static struct record_chunk *next_chunk(struct record_arena *a, size_t size)
{
	struct record_chunk *c = a->cur ? a->cur->next : a->chunks, **tail;

	for (; c; c = c->next)
		if (c->size >= size)
			return c;
	c = malloc(sizeof(*c) + (size > CHUNK_MIN ? size : CHUNK_MIN));
	if (!c)
		return NULL;
	c->next = NULL;
	c->size = size > CHUNK_MIN ? size : CHUNK_MIN;
	for (tail = &a->chunks; *tail; tail = &(*tail)->next)
		;
	*tail = c;
	a->n_chunks++;
	return c;
}

void *record__alloc(struct record *rec, size_t size)
{
	struct record_arena *a = &rec->arena;
	struct record_chunk *c;
	void *p;

	size = (size + 7) & ~(size_t)7;
	if (!size)
		size = 8;
	if (!a->cur || a->cur->size - a->used < size) {
		c = next_chunk(a, size);
		if (!c) {
			a->failed = 1;
			return NULL;
		}
		a->cur = c;
		a->used = 0;
	}
	p = (char *)a->cur->data + a->used;
	a->used += size;
	memset(p, 0, size);
	return p;
}

void *record__msg(struct record *rec, const ProtobufCMessageDescriptor *desc)
{
	void *m = record__alloc(rec, desc->sizeof_message);

	if (m)
		protobuf_c_message_init(desc, m);
	return m;
}

char *record__strdup(struct record *rec, const char *s)
{
	size_t n = strlen(s);
	char *p = record__alloc(rec, n + 1);

	if (!p)
		return (char *)"";
	memcpy(p, s, n + 1);
	return p;
}

char *record__text(struct record *rec, const char *bytes, size_t maxlen)
{
	char *p = record__alloc(rec, 3 * maxlen + 1);

	if (!p)
		return (char *)"";
	encode_utf8(p, bytes, maxlen);
	return p;
}

/* Room for one more pointer in *arr (n of them): 16, then doubled at each power of two. */
static void **grow(struct record *rec, void ***arr, size_t n)
{
	void **bigger;

	if (n && (n < 16 || (n & (n - 1))))
		return *arr;
	bigger = record__alloc(rec, (n ? 2 * n : 16) * sizeof(void *));
	if (bigger && n)
		memcpy(bigger, *arr, n * sizeof(void *));
	if (bigger)
		*arr = bigger;
	return bigger;
}

void *record__push(struct record *rec, void *field_arr, size_t *n,
		   const ProtobufCMessageDescriptor *desc)
{
	void ***arr = field_arr, *m;

	if (!grow(rec, arr, *n) || !(m = record__msg(rec, desc)))
		return NULL;
	(*arr)[(*n)++] = m;
	return m;
}

/* Every map entry type protoc-c generates has this layout: key, then value. */
struct u64_entry {
	/* cppcheck-suppress unusedStructMember ; protobuf-c's init fills it */
	ProtobufCMessage base;
	char *key;
	uint64_t value;
};

struct msg_entry {
	/* cppcheck-suppress unusedStructMember ; protobuf-c's init fills it */
	ProtobufCMessage base;
	char *key;
	void *value;
};

void *record__count(struct record *rec, void *field_arr, size_t *n,
		    const ProtobufCMessageDescriptor *entry_desc, const char *key, uint64_t value)
{
	struct u64_entry *e = record__push(rec, field_arr, n, entry_desc);

	if (e) {
		e->key = (char *)key;
		e->value = value;
	}
	return e;
}

void *record__entry(struct record *rec, void *field_arr, size_t *n,
		    const ProtobufCMessageDescriptor *entry_desc, const char *key)
{
	struct msg_entry *e = record__push(rec, field_arr, n, entry_desc);

	if (!e)
		return NULL;
	e->key = (char *)key;
	e->value = record__msg(rec, entry_desc->fields[1].descriptor);
	return e->value;
}

Hostmon__V1__DropCounters *record__drops(struct record *rec, const char *family)
{
	Hostmon__V1__MetricsWindow *m = &rec->ev.metrics;

	return record__entry(rec, &m->drops, &m->n_drops,
			     &hostmon__v1__metrics_window__drops_entry__descriptor, family);
}

void record__drop(struct record *rec, Hostmon__V1__DropCounters *dc, const char *reason,
		  uint64_t n)
{
	if (dc)
		record__count(rec, &dc->reasons, &dc->n_reasons,
			      &hostmon__v1__drop_counters__reasons_entry__descriptor, reason, n);
}
