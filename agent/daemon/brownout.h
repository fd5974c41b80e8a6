/* Brownout: when the agent is over its CPU budget or memory bound, or its ring buffers fill, detail events are shed by priority. */
#ifndef HOSTMON_BROWNOUT_H
#define HOSTMON_BROWNOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	uint64_t rss_max_kb;	/* resident memory over this is overload; 0: no bound */
	unsigned int rss_stuck_s;	/* over it this long with everything shed: stuck */
};

struct brownout {
	struct brownout_cfg cfg;
	enum shed_level level;
	unsigned int at_level_s;	/* samples since the last change */
	unsigned int calm_s;		/* consecutive calm samples */
	unsigned int recover_now_s;	/* calm seconds needed now: doubles on each relapse */
	unsigned int since_less_s;	/* samples since the last step down */
	bool rss_over;			/* the last sample was over rss_max_kb */
	bool rss_crossed;		/* ... and the one before was not: shrink what can be */
	unsigned int rss_stuck_now_s;	/* samples in a row over rss_max_kb at the last level */
};

void brownout_init(struct brownout *b, const struct brownout_cfg *cfg);
/*
 * One sample a second: the agent's CPU over the last second (percent of one
 * core), the fullest ring buffer (0..1) and its resident memory (KiB).
 * Overload (CPU over budget, a ring buffer over fill_high, or RSS over
 * rss_max_kb) sheds one level more at once from none, then after hold_s at a
 * level; calm (CPU under half the budget, every ring buffer under fill_low,
 * RSS within its bound) for recover_s in a row sheds one level less. Against
 * flapping, overload within relapse_s of shedding less doubles the calm
 * needed (up to recover_max_s), and it returns to recover_s after
 * recover_max_s calm seconds with nothing shed. why names the cause ("cause
 * rss: ...") and the figures. rss_crossed is set for the sample whose RSS
 * went over the bound.
 * Returns +1 or -1 when the level changed (why says so), else 0.
 */
int brownout_step(struct brownout *b, double cpu_pct, double fill, uint64_t rss_kb, char *why,
		  size_t whylen);
/* RSS over its bound for rss_stuck_s samples in a row with every detail event shed. */
bool brownout_rss_stuck(const struct brownout *b);
const char *shed_level_name(enum shed_level level);

#endif /* HOSTMON_BROWNOUT_H */
