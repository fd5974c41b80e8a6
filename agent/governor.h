/* The agent watching itself: its CPU, RSS and ring buffer fill, sampled each second, driving the brownout. */
#ifndef HOSTMON_GOVERNOR_H
#define HOSTMON_GOVERNOR_H

#include <stddef.h>
#include <json-c/json.h>
#include "brownout.h"
#include "compiler.h"

#define GOVERNOR_RINGS	4

struct governor;

/* NULL with errno set. */
HM_MUST_CHECK
struct governor *governor__new(const struct brownout_cfg *cfg);
void governor__free(struct governor *g);
/* Watches the fill of one more events ring buffer (map fd); 0 or -errno. */
HM_MUST_CHECK
int governor__watch(struct governor *g, int ring_map_fd);
/*
 * One sample (call once a second): CPU averaged over the last 5 samples,
 * the fullest ring buffer now, then the brownout decision. +1/-1 when the shed level
 * changed (why says on what figures), else 0.
 */
int governor__sample(struct governor *g, char *why, size_t whylen);
enum shed_level governor__level(const struct governor *g);
/*
 * Adds the window's "self" object to a metrics record: cpu_percent (over
 * the window), rss_kb (now), ring_fill_max (the highest sample, 0..1),
 * shed_level; then starts the next window.
 */
void governor__window(struct governor *g, struct json_object *rec);

#endif /* HOSTMON_GOVERNOR_H */
