/* Where records go: stamps each with seq, time and host identity, hands it to the sinks. */
#ifndef HOSTMON_PIPELINE_H
#define HOSTMON_PIPELINE_H

#include <stdint.h>
#include "record/flow.h"
#include "core/hostinfo.h"
#include "core/compiler.h"
#include "record/record.h"

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
 * The pipeline's record, reset as a record of kind with the next seq, ts_ns,
 * host and boot id set, and counted in: the caller fills rec->ev's message of
 * that kind (strings and nested messages in the record's arena, or pointing
 * at memory that outlives the call) and passes it to pipeline__send before
 * asking for another. pipeline__record: one of the agent's own (metrics,
 * agent_status), stamped now. pipeline__event: an event read from a kernel
 * ring buffer, stamped with the kernel's timestamp (bpf_ktime_get_ns) on the
 * wall clock, when it happened rather than when the agent read it, so
 * latencies measured from ts_ns include the wait in the ring buffer.
 */
struct record *pipeline__record(struct pipeline *p, enum flow_kind kind);
struct record *pipeline__event(struct pipeline *p, enum flow_kind kind, uint64_t kernel_ns);
/*
 * Writes the record to every sink: its JSON line and its envelope, both from
 * its message. A record whose arena ran out of memory is counted, not sent.
 */
void pipeline__send(struct pipeline *p, struct record *rec);
/*
 * A batch: what the event loop reads from the ring buffers in one pass. Its
 * events' kernel timestamps go on the wall clock by the clocks' offset read
 * once at begin; flush ends it: the Kafka sink's records written to the
 * spool in one write (kafka_sink__commit), then the JSON lines (one write per
 * JSONL_SINK_BUFFER bytes: a larger batch is committed in parts, spool first
 * each time), then produced to the broker. What the JSON lines show has
 * always reached the spool first.
 */
void pipeline__begin(struct pipeline *p);
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

#endif /* HOSTMON_PIPELINE_H */
