/* The flow counts' window, as a metrics record's events_in and events_out. */
#ifndef HOSTMON_FLOW_WINDOW_H
#define HOSTMON_FLOW_WINDOW_H

#include "record/flow.h"

struct record;
struct Hostmon__V1__AgentSelf;

/*
 * Fills the window's counts (now - prev) into a metrics record's self as
 * events_in {kind: n} and events_out {sink: {kind: n}}, every kind listed,
 * the sinks whose bit is set in sinks (1 << FLOW_JSONL, ...); then prev = now.
 */
void flow_window(const struct flow_counts *now, struct flow_counts *prev, unsigned int sinks,
		 struct record *rec, struct Hostmon__V1__AgentSelf *self);

#endif /* HOSTMON_FLOW_WINDOW_H */
