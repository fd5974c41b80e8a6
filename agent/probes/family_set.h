/* The probe families of one list run together: opened in dependency order, read from one event loop, windows closed, shed and reported. */
#ifndef HOSTMON_FAMILY_SET_H
#define HOSTMON_FAMILY_SET_H

#include <stdbool.h>
#include <stddef.h>
#include "probes/family.h"
#include "core/compiler.h"

struct bpfmem;
struct config;
struct evloop;
struct record;
struct workloads;

struct family_set;

/*
 * The families of list (NULL-terminated, agent/probes/families.h for the
 * agent's), none running: each "disabled" until opened. NULL with errno set.
 */
HM_MUST_CHECK
struct family_set *family_set__new(const struct family_ops *const *list);
/* Frees the families that run, each before the one it needs; accepts NULL. */
void family_set__free(struct family_set *set);

/* The list's families, in its order: name, status, and whether family i runs. */
size_t family_set__count(const struct family_set *set);
const char *family_set__name(const struct family_set *set, size_t i);
const struct family_status *family_set__status(const struct family_set *set, size_t i);
bool family_set__runs(const struct family_set *set, size_t i);
/* Family i's ring buffer map (for its fill), -1 when it does not run. */
int family_set__events_fd(const struct family_set *set, size_t i);
bool family_set__any_runs(const struct family_set *set);

bool family_set__any_enabled(const struct family_set *set, const struct config *cfg);
/* An enabled family names processes through the pid cache (which wants the shared exe map). */
bool family_set__names_processes(const struct family_set *set, const struct config *cfg);
/* Every enabled family failed for why (what the kernel lacks), none opened. */
void family_set__fail(struct family_set *set, const struct config *cfg, const char *why);
/*
 * Opens every enabled family in the list's order, a family's ops->needs
 * first, and settles a needed family once the one that needs it is open or
 * not. Each start is logged: the path it took, or why it failed.
 */
void family_set__open(struct family_set *set, const struct family_ctx *ctx);

/* Every family whose maps are the workload table's rows runs (and there is one). */
bool family_set__feeds_workloads(const struct family_set *set);
/* Hands wl (not owned) to every family that runs; its window is closed with theirs. */
void family_set__set_workloads(struct family_set *set, struct workloads *wl);
/*
 * Closes the window of every family that runs, in the list's order, and the
 * workload table's right after the family that gives its rows.
 */
void family_set__window(struct family_set *set, struct record *rec);
/* Brownout level (0: nothing shed): each family sheds from its shed_priority on. */
void family_set__shed(struct family_set *set, unsigned int level);
/* The kernel's figures for every family's maps, in the order they were opened (a needed family's first). */
void family_set__measure(const struct family_set *set, struct bpfmem *b);

/* Called before each read of the ring buffers (the governor's fill, the pipeline's batch). */
typedef void (*family_batch_fn)(void *ctx);
void family_set__on_batch(struct family_set *set, family_batch_fn fn, void *ctx);
/*
 * Registers the ring buffer of every family that runs with loop; its
 * callback reads one batch (FAMILY_RING_BATCH) of that family. 0 or -errno.
 */
HM_MUST_CHECK
int family_set__watch(struct family_set *set, struct evloop *loop);
/*
 * Ends a turn of the loop: one batch of every family that runs whose ring's
 * callback did not read one in this turn. True when a read of the turn left
 * more waiting.
 */
bool family_set__poll_rest(struct family_set *set);
/* One batch of every family that runs; true when some had more waiting. */
bool family_set__drain(struct family_set *set);

#endif /* HOSTMON_FAMILY_SET_H */
