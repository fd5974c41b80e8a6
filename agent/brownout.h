/* Brownout: when the agent is over its CPU budget or its ring buffers fill, detail events are shed by priority. */
#ifndef HOSTMON_BROWNOUT_H
#define HOSTMON_BROWNOUT_H

#include <stddef.h>

/* What is shed at each level; crashes and OOM kills never are. Counts stay exact at every level. */
enum shed_level {
	SHED_NONE,
	SHED_SLOW_SYSCALLS,	/* slow_syscall events */
	SHED_CONN_ERRORS,	/* and conn_error events */
	SHED_LEVEL_MAX = SHED_CONN_ERRORS,
};

struct brownout_cfg {
	double cpu_budget_pct;	/* of one core */
	double fill_high;	/* a ring buffer this full (0..1) is overload */
	double fill_low;	/* calm only below this */
	unsigned int hold_s;	/* seconds at a level before shedding more */
	unsigned int recover_s;	/* calm seconds before shedding less */
	unsigned int recover_max_s;	/* the longest it grows to after relapses */
	unsigned int relapse_s;	/* overload this soon after shedding less is a relapse */
};

struct brownout {
	struct brownout_cfg cfg;
	enum shed_level level;
	unsigned int at_level_s;	/* samples since the last change */
	unsigned int calm_s;		/* consecutive calm samples */
	unsigned int recover_now_s;	/* calm seconds needed now: doubles on each relapse */
	unsigned int since_less_s;	/* samples since the last step down */
};

void brownout_init(struct brownout *b, const struct brownout_cfg *cfg);
/*
 * One sample a second: the agent's CPU over the last second (percent of one
 * core) and the fullest ring buffer (0..1). Overload (CPU over budget, or a
 * ring buffer over fill_high) sheds one level more at once from none, then
 * after hold_s at a level; calm (CPU under half the budget and every ring
 * buffer under fill_low) for recover_s in a row sheds one level less. Against
 * flapping, overload within relapse_s of shedding less doubles the calm
 * needed (up to recover_max_s), and it returns to recover_s after
 * recover_max_s calm seconds with nothing shed.
 * Returns +1 or -1 when the level changed (why says so), else 0.
 */
int brownout_step(struct brownout *b, double cpu_pct, double fill, char *why, size_t whylen);
const char *shed_level_name(enum shed_level level);

#endif /* HOSTMON_BROWNOUT_H */
