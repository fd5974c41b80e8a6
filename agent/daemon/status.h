/* The agent's state as the world sees it: agent_status records, and the state settled from the families, Kafka and memory. */
#ifndef HOSTMON_DAEMON_STATUS_H
#define HOSTMON_DAEMON_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include "daemon/lifecycle.h"
#include "record/record.h"

struct daemon;
struct family_set;

/* The .proto's value of a lifecycle state (AGENT_STATE_* numbers them one up). */
Hostmon__V1__AgentState status_proto_state(enum agent_state s);
/* An agent_status record's probes: each family's state, and error when failed, in the list's order. */
void status_add_probes(struct record *rec, const struct family_set *set);
/* "probe family NAME failed: ERROR" for the first failed family in cause; false when none failed. */
bool status_family_failed(const struct family_set *set, char *cause, size_t len);
/* An agent_status record in the current state; from: the state left, or AGENT_STATE_MAX when unchanged. */
void status_emit(struct daemon *d, enum agent_state from, const char *reason);
/* Every state change: logged by the lifecycle, announced in a record and on the socket (a lifecycle_fn). */
void status_on_change(void *ctx, enum agent_state from, enum agent_state to, const char *cause);
/* "memory: rss R MiB over max_rss_mb M" and what follows it: the memory causes' one wording. */
void status_memory_cause(const struct daemon *d, char *cause, size_t len, const char *tail);
/* ... and its wording when RSS stays over the bound with everything shed. */
void status_memory_stuck_cause(const struct daemon *d, char *cause, size_t len);
/* Running, or degraded naming the first probe family that failed, else a broken Kafka sink or memory. */
void status_settle(struct daemon *d);

#endif /* HOSTMON_DAEMON_STATUS_H */
