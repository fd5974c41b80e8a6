/* The agent watching itself: its CPU, RSS and ring buffer fill, sampled each second, driving the brownout and the memory bound. */
#ifndef HOSTMON_GOVERNOR_H
#define HOSTMON_GOVERNOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "daemon/brownout.h"
#include "core/compiler.h"
#include "record/record.h"

#define GOVERNOR_RINGS	4
/* Over max_rss_mb this long with every detail event shed: the agent says it is degraded. */
#define GOVERNOR_RSS_STUCK_S	60

struct governor;
struct pidcache;

/* NULL with errno set. */
HM_MUST_CHECK
struct governor *governor__new(const struct brownout_cfg *cfg);
void governor__free(struct governor *g);
/* Watches the fill of one more events ring buffer (map fd); 0 or -errno. */
HM_MUST_CHECK
int governor__watch(struct governor *g, int ring_map_fd);
/*
 * Notes how full the ring buffers are now; called before each read of them,
 * when they are at their fullest, so that a sample sees the peak since the
 * last one and not only the instant (an agent draining often can show a
 * ring low at every instant of one a second while it overflows between).
 */
void governor__note_fill(struct governor *g);
/*
 * One sample (call once a second): CPU averaged over the last 5 samples,
 * the fullest ring buffer since the last sample (governor__note_fill, and
 * now), then the brownout decision. +1/-1 when the shed level changed (why
 * says on what figures), else 0.
 */
int governor__sample(struct governor *g, char *why, size_t whylen);
enum shed_level governor__level(const struct governor *g);
/* The process cache whose figures each window reports and which a shrink halves (not owned). */
void governor__set_pidcache(struct governor *g, struct pidcache *procs);
/* The last sample's RSS went over the bound; it stayed over it with everything shed (rss_stuck_s). */
bool governor__rss_crossed(const struct governor *g);
bool governor__rss_stuck(const struct governor *g);
/* RSS as the bound sees it: without the kernel's pages mapped in (governor__set_mapped_kb). */
uint64_t governor__rss_kb(const struct governor *g);
/*
 * The kernel's BPF pages mapped into the agent (ring buffers, whose data is
 * mapped twice, and mmapable arrays): counted in the BPF maps' figure, left
 * out of the RSS that is sampled, compared with the bound and reported.
 */
void governor__set_mapped_kb(struct governor *g, uint64_t kb);
/* Gives back what the agent can: the pid cache to half, freed heap to the kernel; what says what. Counted. */
void governor__shrink(struct governor *g, char *what, size_t whatlen);
/*
 * Fills the window's self into a metrics record: cpu_percent (over
 * the window), rss_kb (now), ring_fill_max (the fullest seen, 0..1),
 * shed_level, pid_cache (the window's hits, misses, gone, evictions,
 * hit_ratio; entries, capacity), max_rss_kb and memory_shrinks (the
 * window's), log counts; then starts the next window. Returns it (NULL
 * without memory).
 */
Hostmon__V1__AgentSelf *governor__window(struct governor *g, struct record *rec);

#endif /* HOSTMON_GOVERNOR_H */
