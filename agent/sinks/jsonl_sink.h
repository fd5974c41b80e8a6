/* The JSON-lines sink: one record per line to a file or stdout. */
#ifndef HOSTMON_JSONL_SINK_H
#define HOSTMON_JSONL_SINK_H

#include <stdint.h>
#include <stddef.h>
#include "core/compiler.h"

struct jsonl_sink;

/* spec is "jsonl:-" (stdout) or "jsonl:PATH" (appended). NULL with errno set. */
HM_MUST_CHECK
struct jsonl_sink *jsonl_sink__new(const char *spec);
void jsonl_sink__free(struct jsonl_sink *sink);
/*
 * Both return 0 or -errno. write takes one record's JSON text (len bytes,
 * no newline) and adds the newline; a NULL line (not encoded) counts lost. Lines are buffered: when a write or flush fails,
 * every line not yet written out is lost and counted in jsonl_sink__lost.
 */
HM_MUST_CHECK
int jsonl_sink__write(struct jsonl_sink *sink, const char *line, size_t len);
HM_MUST_CHECK
int jsonl_sink__flush(struct jsonl_sink *sink);
/* Lines buffered since the last successful flush (lost together should a flush fail). */
uint64_t jsonl_sink__pending(const struct jsonl_sink *sink);
/* Bytes buffered since the last flush; past JSONL_SINK_BUFFER, stdio would write them itself. */
#define JSONL_SINK_BUFFER (1u << 20)
size_t jsonl_sink__buffered(const struct jsonl_sink *sink);
uint64_t jsonl_sink__lost(const struct jsonl_sink *sink);
const char *jsonl_sink__path(const struct jsonl_sink *sink);

#endif /* HOSTMON_JSONL_SINK_H */
