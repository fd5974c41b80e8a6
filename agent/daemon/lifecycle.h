/* The agent's states and the transitions allowed between them: one table, every change logged and announced. */
#ifndef HOSTMON_LIFECYCLE_H
#define HOSTMON_LIFECYCLE_H

#include <stdint.h>
#include "core/compiler.h"

/* In the order of hostmon.proto's AgentState (1-based there). */
enum agent_state {
	AGENT_STARTING,		/* loading probes, opening sinks */
	AGENT_RUNNING,		/* every configured probe family attached */
	AGENT_DEGRADED,		/* running, but a probe family failed */
	AGENT_DRAINING,		/* stop requested: last events and window going out */
	AGENT_STOPPED,
	AGENT_STATE_MAX,
};

const char *agent_state_name(enum agent_state s);

/* Called on every change, after it is logged: the daemon emits agent_status. */
typedef void (*lifecycle_fn)(void *ctx, enum agent_state from, enum agent_state to,
			     const char *cause);

struct lifecycle;

/* Starts in AGENT_STARTING. NULL with errno set. */
HM_MUST_CHECK
struct lifecycle *lifecycle__new(lifecycle_fn on_change, void *ctx);
void lifecycle__free(struct lifecycle *lc);
/*
 * Moves to `to` for `cause` (a short text: "probes attached", "signal
 * SIGTERM"). Staying in the same state is no change (0, nothing emitted). A
 * transition the table does not allow is refused: -EINVAL, logged as an
 * internal error, state kept. 1 when the state changed.
 */
int lifecycle__to(struct lifecycle *lc, enum agent_state to, const char *cause);
enum agent_state lifecycle__state(const struct lifecycle *lc);
/* Why the current state was entered, and when (CLOCK_REALTIME ns). */
const char *lifecycle__cause(const struct lifecycle *lc);
uint64_t lifecycle__since_ns(const struct lifecycle *lc);
/* Pure: whether the table allows from -> to. */
int lifecycle_allowed(enum agent_state from, enum agent_state to);

#endif /* HOSTMON_LIFECYCLE_H */
