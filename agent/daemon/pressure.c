/* Brownout and memory: what the daemon does with the governor's figures each second and each window. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "core/log.h"
#include "daemon/governor.h"
#include "daemon/health.h"
#include "daemon/pressure.h"
#include "daemon/state.h"
#include "daemon/status.h"
#include "probes/exemap.h"
#include "probes/family_set.h"

/* The brownout's levels are the families' shed priorities (struct family_ops). */
_Static_assert(SHED_SLOW_SYSCALLS == 1 && SHED_CONN_ERRORS == 2,
	       "shed levels number the families' shed_priority");

/* Calm means under half of the CPU budget and a tenth of a ring, within the memory bound, for 10 s. */
int pressure_open_governor(struct daemon *d)
{
	const struct brownout_cfg bc = {
		.cpu_budget_pct = d->cfg.max_cpu_percent, .fill_high = 0.5, .fill_low = 0.1,
		.hold_s = 3, .recover_s = 10, .recover_max_s = 300, .relapse_s = 60,
		.rss_max_kb = (uint64_t)d->cfg.max_rss_mb * 1024, .rss_stuck_s = GOVERNOR_RSS_STUCK_S,
	};
	int ret = 0;

	d->gov = governor__new(&bc);
	if (!d->gov)
		return -ENOMEM;
	governor__set_pidcache(d->gov, d->procs);
	for (size_t i = 0; !ret && i < family_set__count(d->fams); i++)
		if (family_set__runs(d->fams, i))
			ret = governor__watch(d->gov, family_set__events_fd(d->fams, i));
	if (ret)
		log_error("hostmond", HM_E_RING_WATCH, LOG_FIELDS(LF_ERRNO(-ret)),
			  "cannot watch the ring buffers' fill: %s", strerror(-ret));
	return ret;
}

/*
 * Over max_rss_mb: on crossing it, the agent gives back what it can
 * (announced); staying over it with everything shed degrades the agent, loudly,
 * until RSS is back within the bound. The host is never harmed for it.
 */
static void watch_memory(struct daemon *d)
{
	char what[200], tail[220], reason[400];
	bool stuck = governor__rss_stuck(d->gov);

	if (governor__rss_crossed(d->gov)) {
		governor__shrink(d->gov, what, sizeof(what));
		snprintf(tail, sizeof(tail), ": shrunk: %s", what);
		status_memory_cause(d, reason, sizeof(reason), tail);
		log_warn("hostmond", HM_E_MEMORY_OVER, LOG_FIELDS(LF_INT("max_rss_mb", d->cfg.max_rss_mb)),
			 "%s", reason);
		status_emit(d, AGENT_STATE_MAX, reason);
	}
	if (stuck == d->rss_stuck)
		return;
	d->rss_stuck = stuck;
	if (stuck) {
		status_memory_stuck_cause(d, reason, sizeof(reason));
		log_error("hostmond", HM_E_MEMORY_STUCK,
			  LOG_FIELDS(LF_INT("max_rss_mb", d->cfg.max_rss_mb)),
			  "%s: raise max_rss_mb or find what grows (docs/runbooks/brownout.md)", reason);
	}
	status_settle(d);
	health_publish(d);
}

/* A new shed level (change: +1 more shed, -1 less), why it changed: logged and announced. */
static void shed_changed(struct daemon *d, enum shed_level level, int change, const char *why)
{
	char reason[300];

	if (level == SHED_NONE)
		snprintf(reason, sizeof(reason), "brownout over: all detail events sent again (%s)", why);
	else
		snprintf(reason, sizeof(reason), "brownout: %s %s events shed, counts kept (%s)",
			 change > 0 ? "overloaded," : "calmer, only", shed_level_name(level), why);
	if (change > 0)
		log_warn("hostmond", HM_E_BROWNOUT, NULL, "%s", reason);
	else
		log_info("hostmond", "%s", reason);
	status_emit(d, AGENT_STATE_MAX, reason);
	health_publish(d);
}

/* Slow_syscall events are shed first, then conn_error; crashes never (the families' shed_priority). */
void pressure_tick(struct daemon *d)
{
	enum shed_level level;
	char why[200];
	int change;

	log_flush_repeats(0);
	change = governor__sample(d->gov, why, sizeof(why));
	watch_memory(d);
	if (!change) {
		health_publish_kafka_progress(d);
		return;
	}
	level = governor__level(d->gov);
	family_set__shed(d->fams, level);
	shed_changed(d, level, change, why);
}

/*
 * A 64 MiB ring buffer alone maps 128 MiB into the agent: kernel memory the
 * maps' figure has, which the memory bound leaves out. The exe map counts
 * once, as "exe"; net's maps in the syscall object count as net's (opened first).
 */
void pressure_measure_bpf(struct daemon *d)
{
	FILE *f;

	bpfmem_reset(&d->bpf);
	if (d->exe)
		(void)bpfmem_add_fd(&d->bpf, "exe", exemap__fd(d->exe));
	family_set__measure(d->fams, &d->bpf);
	f = fopen("/proc/self/smaps", "re");
	d->bpf_mapped = f ? bpfmem_mapped_bytes(f) : 0;
	if (f)
		(void)fclose(f); /* read only */
	governor__set_mapped_kb(d->gov, d->bpf_mapped / 1024);
}
