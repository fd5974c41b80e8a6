/* The brownout decision: pure, one sample at a time, with hysteresis both ways. */
#include <stdio.h>
#include "daemon/brownout.h"

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

/* "cause cpu+rss: cpu ..., fullest ring buffer ..., rss ..." on overload, "calm: ..." else. */
static void describe(const struct brownout *b, double cpu_pct, double fill, uint64_t rss_kb,
		     bool up, char *why, size_t whylen)
{
	bool cpu = cpu_pct > b->cfg.cpu_budget_pct, ring = fill > b->cfg.fill_high;
	int n;

	if (up)
		n = snprintf(why, whylen, "cause %s%s%s%s%s: ", cpu ? "cpu" : "",
			     cpu && (ring || b->rss_over) ? "+" : "", ring ? "ring buffer" : "",
			     ring && b->rss_over ? "+" : "", b->rss_over ? "rss" : "");
	else
		n = snprintf(why, whylen, "calm: ");
	if (n < 0 || (size_t)n >= whylen)
		return;
	n += snprintf(why + n, whylen - n, "cpu %.1f%% of one core (budget %.1f%%), "
		      "fullest ring buffer %.0f%%", cpu_pct, b->cfg.cpu_budget_pct, fill * 100);
	if (b->cfg.rss_max_kb && n > 0 && (size_t)n < whylen)
		snprintf(why + n, whylen - n, ", rss %.1f MiB (max %.0f MiB)", rss_kb / 1024.0,
			 b->cfg.rss_max_kb / 1024.0);
}

/* Over the memory bound this sample, crossing it, and for how long with everything shed. */
static void note_rss(struct brownout *b, uint64_t rss_kb)
{
	bool over = b->cfg.rss_max_kb && rss_kb > b->cfg.rss_max_kb;

	b->rss_crossed = over && !b->rss_over;
	b->rss_over = over;
	b->rss_stuck_now_s = over && b->level == SHED_LEVEL_MAX ? b->rss_stuck_now_s + 1 : 0;
}

bool brownout_rss_stuck(const struct brownout *b)
{
	return b->cfg.rss_stuck_s && b->rss_stuck_now_s >= b->cfg.rss_stuck_s;
}

int brownout_step(struct brownout *b, double cpu_pct, double fill, uint64_t rss_kb, char *why,
		  size_t whylen)
{
	int over, calm;

	note_rss(b, rss_kb);
	over = cpu_pct > b->cfg.cpu_budget_pct || fill > b->cfg.fill_high || b->rss_over;
	calm = cpu_pct < b->cfg.cpu_budget_pct / 2 && fill < b->cfg.fill_low && !b->rss_over;
	b->at_level_s++;
	b->since_less_s++;
	b->calm_s = calm ? b->calm_s + 1 : 0;
	if (over && b->level < SHED_LEVEL_MAX &&
	    (b->level == SHED_NONE || b->at_level_s >= b->cfg.hold_s)) {
		note_relapse(b);
		b->level++;
		b->at_level_s = 0;
		describe(b, cpu_pct, fill, rss_kb, true, why, whylen);
		return 1;
	}
	if (b->level > SHED_NONE && b->calm_s >= b->recover_now_s) {
		b->level--;
		b->at_level_s = 0;
		b->calm_s = 0;
		b->since_less_s = 0;
		describe(b, cpu_pct, fill, rss_kb, false, why, whylen);
		return -1;
	}
	if (b->level == SHED_NONE && b->calm_s >= b->cfg.recover_max_s)
		b->recover_now_s = b->cfg.recover_s;
	return 0;
}
