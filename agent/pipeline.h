/* Where records go: stamps each with seq, time and host identity, hands it to the sinks. */
#ifndef HOSTMON_PIPELINE_H
#define HOSTMON_PIPELINE_H

#include <stdint.h>
#include <json-c/json.h>
#include "flow.h"
#include "hostinfo.h"
#include "compiler.h"
#include "record.h"

struct pipeline;
struct jsonl_sink;
struct kafka_sink;
struct evring;

HM_MUST_CHECK
struct pipeline *pipeline__new(const struct hostinfo *hi);
void pipeline__free(struct pipeline *p);
/* The pipeline does not own the sink. */
void pipeline__set_jsonl(struct pipeline *p, struct jsonl_sink *sink);
/* Also sends every record to Kafka (not owned; the sink counts its own losses). */
void pipeline__set_kafka(struct pipeline *p, struct kafka_sink *sink);
/* Keeps every record but metrics windows in ring too, for GET /events (not owned). */
void pipeline__set_events(struct pipeline *p, struct evring *ring);

/*
 * A new record of the agent's own (metrics, agent_status) as a json-c tree
 * with "type" (the kind's name), "seq", "ts_ns", "host_id" and "boot_id"
 * set; the caller adds its fields and passes it to pipeline__emit. The kind
 * is counted in first, so a record that could not be made shows as in
 * without out. NULL on allocation failure (counted).
 */
HM_MUST_CHECK
struct json_object *pipeline__record(struct pipeline *p, enum flow_kind kind);
/* Writes rec to every sink and releases it. Failures are counted and logged. */
void pipeline__emit(struct pipeline *p, struct json_object *rec);

/*
 * The pipeline's record, reset as an event of kind read from a kernel ring
 * buffer, with seq, ts_ns and host identity set, counted in: the caller
 * fills rec->ev's message of that kind and passes it to pipeline__send before
 * asking for another. Its ts_ns is the kernel's timestamp (bpf_ktime_get_ns)
 * on the wall clock, when it happened rather than when the agent read it,
 * so latencies measured from ts_ns include the wait in the ring buffer.
 */
struct record *pipeline__event(struct pipeline *p, enum flow_kind kind, uint64_t kernel_ns);
/* Writes the record to every sink: its JSON line and its envelope, both from its message. */
void pipeline__send(struct pipeline *p, struct record *rec);
void pipeline__flush(struct pipeline *p);

uint64_t pipeline__emitted(const struct pipeline *p);
/*
 * Events in and out since start: out of JSON lines once flushed, of the
 * socket's /events buffer once kept, of Kafka once the broker acknowledged
 * them (this instance's). Returns the sinks present, bits 1 << FLOW_JSONL, ...
 */
unsigned int pipeline__flow(const struct pipeline *p, struct flow_counts *c);
/* Records the sinks failed to write (cumulative). */
uint64_t pipeline__lost(const struct pipeline *p);

/* Small helpers for building the agent's own records (json-c). */
void record_u64(struct json_object *rec, const char *key, uint64_t v);
void record_i64(struct json_object *rec, const char *key, int64_t v);
void record_str(struct json_object *rec, const char *key, const char *v);

#endif /* HOSTMON_PIPELINE_H */
