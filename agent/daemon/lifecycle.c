/* The lifecycle table and the state machine that enforces it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "core/clock.h"
#include "daemon/lifecycle.h"
#include "core/log.h"

static const char *const state_names[AGENT_STATE_MAX] = {
	[AGENT_STARTING] = "starting",
	[AGENT_RUNNING] = "running",
	[AGENT_DEGRADED] = "degraded",
	[AGENT_DRAINING] = "draining",
	[AGENT_STOPPED] = "stopped",
};

/*
 * allowed[from][to]. A start ends running, degraded, or stopped (it failed);
 * running and degraded go back and forth as families or sinks fail and
 * recover; only draining leads to stopped, and stopped is final.
 */
static const unsigned char allowed[AGENT_STATE_MAX][AGENT_STATE_MAX] = {
	[AGENT_STARTING] = { [AGENT_RUNNING] = 1, [AGENT_DEGRADED] = 1, [AGENT_STOPPED] = 1 },
	[AGENT_RUNNING] = { [AGENT_DEGRADED] = 1, [AGENT_DRAINING] = 1 },
	[AGENT_DEGRADED] = { [AGENT_RUNNING] = 1, [AGENT_DRAINING] = 1 },
	[AGENT_DRAINING] = { [AGENT_STOPPED] = 1 },
};

struct lifecycle {
	enum agent_state state;
	char cause[320];
	uint64_t since_ns;
	lifecycle_fn on_change;
	void *ctx;
};

const char *agent_state_name(enum agent_state s)
{
	return (unsigned int)s < AGENT_STATE_MAX ? state_names[s] : "unknown";
}

int lifecycle_allowed(enum agent_state from, enum agent_state to)
{
	return (unsigned int)from < AGENT_STATE_MAX && (unsigned int)to < AGENT_STATE_MAX &&
	       allowed[from][to];
}

struct lifecycle *lifecycle__new(lifecycle_fn on_change, void *ctx)
{
	struct lifecycle *lc = calloc(1, sizeof(*lc));

	if (!lc)
		return NULL;
	lc->state = AGENT_STARTING;
	snprintf(lc->cause, sizeof(lc->cause), "start");
	lc->since_ns = clock_ns(CLOCK_REALTIME);
	lc->on_change = on_change;
	lc->ctx = ctx;
	return lc;
}

void lifecycle__free(struct lifecycle *lc)
{
	free(lc);
}

int lifecycle__to(struct lifecycle *lc, enum agent_state to, const char *cause)
{
	enum agent_state from = lc->state;

	if (to == from)
		return 0;
	if (!lifecycle_allowed(from, to)) {
		log_error("lifecycle", HM_E_LIFECYCLE, NULL, "internal error: transition %s -> %s (%s) is not allowed, "
			  "staying %s", agent_state_name(from), agent_state_name(to), cause,
			  agent_state_name(from));
		return -EINVAL;
	}
	lc->state = to;
	snprintf(lc->cause, sizeof(lc->cause), "%s", cause);
	lc->since_ns = clock_ns(CLOCK_REALTIME);
	log_info("lifecycle", "%s -> %s: %s", agent_state_name(from), agent_state_name(to), cause);
	if (lc->on_change)
		lc->on_change(lc->ctx, from, to, lc->cause);
	return 1;
}

enum agent_state lifecycle__state(const struct lifecycle *lc)
{
	return lc->state;
}

const char *lifecycle__cause(const struct lifecycle *lc)
{
	return lc->cause;
}

uint64_t lifecycle__since_ns(const struct lifecycle *lc)
{
	return lc->since_ns;
}
