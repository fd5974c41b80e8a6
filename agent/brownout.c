/* The brownout decision: pure, one sample at a time, with hysteresis both ways. */
#include <stdio.h>
#include "brownout.h"

static const char *const level_names[] = {
	[SHED_NONE] = "none",
	[SHED_SLOW_SYSCALLS] = "slow_syscall",
	[SHED_CONN_ERRORS] = "slow_syscall,conn_error",
};

const char *shed_level_name(enum shed_level level)
{
	return (unsigned int)level <= SHED_LEVEL_MAX ? level_names[level] : "unknown";
}

void brownout_init(struct brownout *b, const struct brownout_cfg *cfg)
{
	*b = (struct brownout){ .cfg = *cfg, .recover_now_s = cfg->recover_s,
				.since_less_s = cfg->relapse_s };
}

/* Overload soon after shedding less: the next recovery must be calmer for longer. */
static void note_relapse(struct brownout *b)
{
	if (b->since_less_s >= b->cfg.relapse_s)
		return;
	b->recover_now_s *= 2;
	if (b->recover_now_s > b->cfg.recover_max_s)
		b->recover_now_s = b->cfg.recover_max_s;
}

static void describe(const struct brownout *b, double cpu_pct, double fill, char *why,
		     size_t whylen)
{
	snprintf(why, whylen, "cpu %.1f%% of one core (budget %.1f%%), fullest ring buffer %.0f%%",
		 cpu_pct, b->cfg.cpu_budget_pct, fill * 100);
}

int brownout_step(struct brownout *b, double cpu_pct, double fill, char *why, size_t whylen)
{
	int over = cpu_pct > b->cfg.cpu_budget_pct || fill > b->cfg.fill_high;
	int calm = cpu_pct < b->cfg.cpu_budget_pct / 2 && fill < b->cfg.fill_low;

	b->at_level_s++;
	b->since_less_s++;
	b->calm_s = calm ? b->calm_s + 1 : 0;
	if (over && b->level < SHED_LEVEL_MAX &&
	    (b->level == SHED_NONE || b->at_level_s >= b->cfg.hold_s)) {
		note_relapse(b);
		b->level++;
		b->at_level_s = 0;
		describe(b, cpu_pct, fill, why, whylen);
		return 1;
	}
	if (b->level > SHED_NONE && b->calm_s >= b->recover_now_s) {
		b->level--;
		b->at_level_s = 0;
		b->calm_s = 0;
		b->since_less_s = 0;
		describe(b, cpu_pct, fill, why, whylen);
		return -1;
	}
	if (b->level == SHED_NONE && b->calm_s >= b->cfg.recover_max_s)
		b->recover_now_s = b->cfg.recover_s;
	return 0;
}
