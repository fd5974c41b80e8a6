/* A record on its way to the sinks: its kind, seq and time as fields, its body a hostmon.v1.Envelope. */
#ifndef HOSTMON_RECORD_H
#define HOSTMON_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"
#include "record/flow.h"
#include "proto/hostmon.pb-c.h"

/* Chunks of memory a record's strings and nested messages live in, kept from record to record. */
struct record_arena {
	struct record_chunk *chunks;	/* the first one is reused first */
	struct record_chunk *cur;
	size_t used;			/* bytes of cur taken */
	size_t n_chunks;		/* allocated: grows only with the largest record */
	int failed;			/* an allocation found no memory: the record is incomplete */
};

/*
 * The envelope points into the record (ev, arena): a record is filled,
 * emitted, then reset for the next one, without heap allocation once the
 * arena has grown to the largest record seen.
 */
struct record {
	enum flow_kind kind;
	uint64_t seq;
	uint64_t ts_ns;		/* wall clock ns, as env.ts_ns */
	Hostmon__V1__Envelope env;
	union {
		Hostmon__V1__SlowSyscall slow_syscall;
		Hostmon__V1__ConnError conn_error;
		Hostmon__V1__ProcessCrash process_crash;
		Hostmon__V1__OomKill oom_kill;
		Hostmon__V1__AgentStatus agent_status;
		Hostmon__V1__MetricsWindow metrics;
	} ev;
	struct record_arena arena;
};

/*
 * Starts rec afresh as a record of kind (its arena emptied, the envelope and
 * the kind's message in ev initialised and set in the oneof);
 * the caller sets seq, ts_ns and the ids.
 */
void record__reset(struct record *rec, enum flow_kind kind);
/* Frees the arena's memory. */
void record__fini(struct record *rec);

/* size zeroed bytes from the arena, 8-aligned; NULL (and arena.failed) without memory. */
void *record__alloc(struct record *rec, size_t size);
/* An initialised message of desc's type in the arena; NULL without memory. */
void *record__msg(struct record *rec, const ProtobufCMessageDescriptor *desc);
/* A copy of s in the arena; "" without memory (arena.failed set). */
char *record__strdup(struct record *rec, const char *s);
/*
 * Kernel bytes (at most maxlen, up to the first NUL) as valid UTF-8 in the
 * arena (encode_utf8: bad bytes become U+FFFD); "" without memory.
 */
char *record__text(struct record *rec, const char *bytes, size_t maxlen);

/*
 * Repeated and map fields, grown in the arena (a doubling array, the old one
 * left in the arena): each takes the field's array and count as protobuf-c
 * lays them out. All return NULL (and set arena.failed) without memory.
 */
/* A new message of desc's type appended to a repeated message field. */
void *record__push(struct record *rec, void *field_arr, size_t *n,
		   const ProtobufCMessageDescriptor *desc);
/* key = value appended to a map<string, uint64> field of entry type entry_desc; key is not copied. */
void *record__count(struct record *rec, void *field_arr, size_t *n,
		    const ProtobufCMessageDescriptor *entry_desc, const char *key, uint64_t value);
/* A new value message under key in a map<string, Message> field of entry type entry_desc; key is not copied. */
void *record__entry(struct record *rec, void *field_arr, size_t *n,
		    const ProtobufCMessageDescriptor *entry_desc, const char *key);

/* A metrics record's drop counters of family ("syscalls", "proc", "net", "agent"), and one of them. */
Hostmon__V1__DropCounters *record__drops(struct record *rec, const char *family);
void record__drop(struct record *rec, Hostmon__V1__DropCounters *dc, const char *reason,
		  uint64_t n);

#endif /* HOSTMON_RECORD_H */
