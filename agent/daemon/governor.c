/* Self-measurement for the brownout and for each window's "self" figures. */
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include "core/clock.h"
#include "daemon/governor.h"
#include "core/log.h"
#include "probes/pidcache.h"
#include "core/errcode.h"
#include "sinks/pipeline.h"
#include "daemon/ring_watch.h"

/* CPU is judged over this many seconds: one window's computation is a spike, not overload. */
#define GOVERNOR_CPU_SAMPLES	5

struct governor {
	struct brownout bo;
	double cpu[GOVERNOR_CPU_SAMPLES];	/* the last samples, percent of one core */
	unsigned int n_cpu;			/* samples taken, ever */
	struct ring_watch *rings[GOVERNOR_RINGS];
	size_t n_rings;
	uint64_t cpu_prev_us, mono_prev_us;	/* at the last sample */
	uint64_t cpu_win_us, mono_win_us;	/* at the window's start */
	double fill_peak;			/* the fullest since the last sample (governor__note_fill) */
	double fill_max;			/* this window's highest sample */
	uint64_t rss_kb;			/* at the last sample */
	uint64_t mapped_kb;			/* the kernel's pages in it, left out */
	struct pidcache *procs;			/* not owned; NULL: none */
	struct pidcache_stats procs_prev;	/* at the window's start */
	uint64_t shrinks;			/* this window's */
};

/* User and system time of every thread (librdkafka's and the HTTP server's too). */
static uint64_t cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static uint64_t rss_kb(void)
{
	unsigned long size, resident;
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	if (!f)
		return 0;
	/* NOLINTNEXTLINE(cert-err34-c): the kernel writes these numbers, in range */
	n = fscanf(f, "%lu %lu", &size, &resident);
	(void)fclose(f); /* read only */
	return n == 2 ? (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) / 1024 : 0;
}

/* The agent's own resident memory: the kernel's mapped pages are the BPF maps'. */
static uint64_t own_rss_kb(const struct governor *g)
{
	uint64_t rss = rss_kb();

	return rss > g->mapped_kb ? rss - g->mapped_kb : 0;
}

static double percent(uint64_t cpu, uint64_t wall)
{
	return wall ? 100.0 * (double)cpu / (double)wall : 0;
}

/* v to `decimals` digits: the JSON writer prints the shortest text, so 0.62 rather than 17 digits. */
static double rounded(double v, int decimals)
{
	double scale = 1;

	while (decimals-- > 0)
		scale *= 10;
	return round(v * scale) / scale;
}

struct governor *governor__new(const struct brownout_cfg *cfg)
{
	struct governor *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	brownout_init(&g->bo, cfg);
	g->cpu_prev_us = g->cpu_win_us = cpu_us();
	g->mono_prev_us = g->mono_win_us = clock_ns(CLOCK_MONOTONIC) / 1000;
	return g;
}

void governor__free(struct governor *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_rings; i++)
		ring_watch__free(g->rings[i]);
	free(g);
}

int governor__watch(struct governor *g, int ring_map_fd)
{
	if (g->n_rings == GOVERNOR_RINGS)
		return -ENOSPC;
	g->rings[g->n_rings] = ring_watch__new(ring_map_fd);
	if (!g->rings[g->n_rings])
		return -errno;
	g->n_rings++;
	return 0;
}

void governor__note_fill(struct governor *g)
{
	double f;

	for (size_t i = 0; i < g->n_rings; i++) {
		f = ring_watch__fill(g->rings[i]);
		if (f > g->fill_peak)
			g->fill_peak = f;
	}
}

int governor__sample(struct governor *g, char *why, size_t whylen)
{
	uint64_t cpu = cpu_us(), now = clock_ns(CLOCK_MONOTONIC) / 1000;
	double cpu_pct = 0, fill;
	unsigned int n;

	g->cpu[g->n_cpu++ % GOVERNOR_CPU_SAMPLES] = percent(cpu - g->cpu_prev_us, now - g->mono_prev_us);
	g->cpu_prev_us = cpu;
	g->mono_prev_us = now;
	n = g->n_cpu < GOVERNOR_CPU_SAMPLES ? g->n_cpu : GOVERNOR_CPU_SAMPLES;
	/* cppcheck-suppress knownConditionTrueFalse ; n >= 1: n_cpu was just incremented */
	for (unsigned int i = 0; i < n; i++)
		cpu_pct += g->cpu[i] / n;
	governor__note_fill(g);
	fill = g->fill_peak;
	g->fill_peak = 0;
	if (fill > g->fill_max)
		g->fill_max = fill;
	g->rss_kb = own_rss_kb(g);
	return brownout_step(&g->bo, cpu_pct, fill, g->rss_kb, why, whylen);
}

void governor__set_pidcache(struct governor *g, struct pidcache *procs)
{
	g->procs = procs;
	pidcache__stats(procs, &g->procs_prev);
}

bool governor__rss_crossed(const struct governor *g)
{
	return g->bo.rss_crossed;
}

bool governor__rss_stuck(const struct governor *g)
{
	return brownout_rss_stuck(&g->bo);
}

uint64_t governor__rss_kb(const struct governor *g)
{
	return g->rss_kb;
}

void governor__set_mapped_kb(struct governor *g, uint64_t kb)
{
	g->mapped_kb = kb;
}

void governor__shrink(struct governor *g, char *what, size_t whatlen)
{
	struct pidcache_stats st;
	uint32_t dropped;

	pidcache__stats(g->procs, &st);
	dropped = pidcache__shrink(g->procs, st.entries / 2);
	/* What was freed goes back to the kernel, or RSS would not move. */
	malloc_trim(0);
	g->shrinks++;
	snprintf(what, whatlen, "pid cache %u -> %u entries, freed heap returned (rss now %.1f MiB)",
		 st.entries, st.entries - dropped, own_rss_kb(g) / 1024.0);
}

enum shed_level governor__level(const struct governor *g)
{
	return g->bo.level;
}

/* Since start: the agent's warnings and errors, by code for the codes seen. */
static Hostmon__V1__LogCounts *log_counts(struct record *rec)
{
	Hostmon__V1__LogCounts *o = record__msg(rec, &hostmon__v1__log_counts__descriptor);
	struct log_counts c;

	if (!o)
		return NULL;
	log_get_counts(&c);
	o->errors = c.errors;
	o->warnings = c.warnings;
	o->suppressed = c.suppressed;
	for (int i = 1; i < HM_E_MAX; i++)
		if (c.by_code[i])
			record__count(rec, &o->by_code, &o->n_by_code,
				      &hostmon__v1__log_counts__by_code_entry__descriptor,
				      errcode_id(i), c.by_code[i]);
	return o;
}

/* The window's cache figures: counts are the window's, entries and capacity now. */
static Hostmon__V1__PidCache *pid_cache(struct governor *g, struct record *rec)
{
	Hostmon__V1__PidCache *o = record__msg(rec, &hostmon__v1__pid_cache__descriptor);
	struct pidcache_stats st;

	if (!o)
		return NULL;
	pidcache__stats(g->procs, &st);
	o->hits = st.hits - g->procs_prev.hits;
	o->misses = st.misses - g->procs_prev.misses;
	o->gone = st.gone - g->procs_prev.gone;
	o->failed = st.failed - g->procs_prev.failed;
	o->evictions = st.evictions - g->procs_prev.evictions;
	o->entries = st.entries;
	o->capacity = st.capacity;
	/* Without lookups it stays 0, which JSON writes as null ([json: null_unless=hits,misses]). */
	if (o->hits + o->misses)
		o->hit_ratio = rounded((double)o->hits / (double)(o->hits + o->misses), 4);
	g->procs_prev = st;
	return o;
}

Hostmon__V1__AgentSelf *governor__window(struct governor *g, struct record *rec)
{
	Hostmon__V1__AgentSelf *self = record__msg(rec, &hostmon__v1__agent_self__descriptor);
	uint64_t cpu = cpu_us(), now = clock_ns(CLOCK_MONOTONIC) / 1000;

	if (self) {
		self->cpu_percent = rounded(percent(cpu - g->cpu_win_us, now - g->mono_win_us), 2);
		self->rss_kb = own_rss_kb(g);
		self->ring_fill_max = rounded(g->fill_max, 4);
		self->shed_level = (char *)shed_level_name(g->bo.level);
		self->log = log_counts(rec);
		self->pid_cache = pid_cache(g, rec);
		self->max_rss_kb = g->bo.cfg.rss_max_kb;
		self->memory_shrinks = g->shrinks;
	}
	rec->ev.metrics.self = self;
	g->shrinks = 0;
	g->cpu_win_us = cpu;
	g->mono_win_us = now;
	g->fill_max = 0;
	return self;
}
