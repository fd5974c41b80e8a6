/* Self-measurement for the brownout and for each window's "self" figures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include "governor.h"
#include "pipeline.h"
#include "ring_watch.h"

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
	double fill_max;			/* this window's highest sample */
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

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

static double percent(uint64_t cpu, uint64_t wall)
{
	return wall ? 100.0 * (double)cpu / (double)wall : 0;
}

/* A JSON number written with `decimals` digits (json-c would print 17). */
static struct json_object *rounded(double v, int decimals)
{
	char text[32];

	snprintf(text, sizeof(text), "%.*f", decimals, v);
	return json_object_new_double_s(v, text);
}

struct governor *governor__new(const struct brownout_cfg *cfg)
{
	struct governor *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	brownout_init(&g->bo, cfg);
	g->cpu_prev_us = g->cpu_win_us = cpu_us();
	g->mono_prev_us = g->mono_win_us = mono_us();
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

int governor__sample(struct governor *g, char *why, size_t whylen)
{
	uint64_t cpu = cpu_us(), now = mono_us();
	double cpu_pct = 0, fill = 0, f;
	unsigned int n;

	g->cpu[g->n_cpu++ % GOVERNOR_CPU_SAMPLES] = percent(cpu - g->cpu_prev_us, now - g->mono_prev_us);
	g->cpu_prev_us = cpu;
	g->mono_prev_us = now;
	n = g->n_cpu < GOVERNOR_CPU_SAMPLES ? g->n_cpu : GOVERNOR_CPU_SAMPLES;
	/* cppcheck-suppress knownConditionTrueFalse ; n >= 1: n_cpu was just incremented */
	for (unsigned int i = 0; i < n; i++)
		cpu_pct += g->cpu[i] / n;
	for (size_t i = 0; i < g->n_rings; i++) {
		f = ring_watch__fill(g->rings[i]);
		if (f > fill)
			fill = f;
	}
	if (fill > g->fill_max)
		g->fill_max = fill;
	return brownout_step(&g->bo, cpu_pct, fill, why, whylen);
}

enum shed_level governor__level(const struct governor *g)
{
	return g->bo.level;
}

void governor__window(struct governor *g, struct json_object *rec)
{
	struct json_object *self = json_object_new_object();
	uint64_t cpu = cpu_us(), now = mono_us();

	json_object_object_add(self, "cpu_percent",
			       rounded(percent(cpu - g->cpu_win_us, now - g->mono_win_us), 2));
	record_u64(self, "rss_kb", rss_kb());
	json_object_object_add(self, "ring_fill_max", rounded(g->fill_max, 4));
	record_str(self, "shed_level", shed_level_name(g->bo.level));
	json_object_object_add(rec, "self", self);
	g->cpu_win_us = cpu;
	g->mono_win_us = now;
	g->fill_max = 0;
}
