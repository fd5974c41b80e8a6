/* The cache from cgroup id to workload: slots evicted by a clock hand, a TTL, negative entries, invalidation, stats. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "probes/workload_cache.h"
#include "probes/workload_resolver.h"

#define NIL		UINT32_MAX

enum slot_state { SLOT_FREE, SLOT_NAMED, SLOT_MISSING };

/* Hand-written, as pidcache's: a fixed array of slots, chained by index, evicted by a clock hand. */
struct slot {
	uint64_t cgid;
	uint64_t when_s;		/* monotonic seconds when resolved */
	uint32_t hnext;			/* next slot of the bucket, NIL */
	uint8_t state;			/* enum slot_state */
	uint8_t ref;			/* used since the hand last passed */
	uint8_t stale;			/* workload_cache__invalidate: resolve again */
	char *path;			/* w.path's bytes: the cgroup2 path it was resolved from */
	struct workload w;
};

struct workload_cache {
	struct slot *slots;
	uint32_t *buckets;		/* first slot of each chain, NIL */
	uint32_t nbuckets;		/* power of two */
	uint32_t used;			/* slots handed out at least once */
	uint32_t hand;
	uint32_t ttl_s;
	struct workload_resolver *r;	/* finds a missed id's path and name */
	struct workload_cache_stats st;	/* the resolver keeps its own counters */
};

static uint32_t hash_id(uint64_t id, uint32_t nbuckets)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (uint32_t)id & (nbuckets - 1);
}

struct workload_cache *workload_cache__new(const char *root, const char *proc_root, uint32_t capacity)
{
	struct workload_cache *c = calloc(1, sizeof(*c));
	int err = -ENOMEM;

	if (!c)
		return NULL;
	c->st.capacity = capacity ? capacity : WORKLOAD_CACHE_CAPACITY;
	for (c->nbuckets = 1; c->nbuckets < c->st.capacity; c->nbuckets <<= 1)
		;
	c->slots = calloc(c->st.capacity, sizeof(*c->slots));
	c->buckets = malloc(c->nbuckets * sizeof(*c->buckets));
	if (!c->slots || !c->buckets)
		goto fail;
	memset(c->buckets, 0xff, c->nbuckets * sizeof(*c->buckets));
	c->ttl_s = WORKLOAD_CACHE_TTL_S;
	c->r = workload_resolver__new(root, proc_root);
	if (c->r)
		return c;
	err = -errno;
fail:
	workload_cache__free(c);
	errno = -err;
	return NULL;
}

void workload_cache__free(struct workload_cache *c)
{
	if (!c)
		return;
	workload_resolver__free(c->r);
	for (uint32_t i = 0; c->slots && i < c->used; i++)
		free(c->slots[i].path);
	free(c->slots);
	free(c->buckets);
	free(c);
}

void workload_cache__set_ttl(struct workload_cache *c, uint32_t ttl_s)
{
	c->ttl_s = ttl_s;
}

void workload_cache__set_handles(struct workload_cache *c, bool on)
{
	workload_resolver__set_handles(c->r, on);
}

void workload_cache__stats(const struct workload_cache *c, struct workload_cache_stats *st)
{
	struct workload_resolver_stats rs;

	if (!c) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = c->st;
	workload_resolver__stats(c->r, &rs);
	st->handle_opens = rs.handle_opens;
	st->walks = rs.walks;
	st->walk_dirs = rs.walk_dirs;
	st->walk_truncated = rs.walk_truncated;
	st->v1_fallbacks = rs.v1_fallbacks;
	st->pid_paths = rs.pid_paths;
	st->handles = rs.handles;
}

/* --- Slots ----------------------------------------------------------------------------- */

static struct slot *find_slot(struct workload_cache *c, uint64_t cgid)
{
	uint32_t i = c->buckets[hash_id(cgid, c->nbuckets)];

	while (i != NIL && c->slots[i].cgid != cgid)
		i = c->slots[i].hnext;
	return i == NIL ? NULL : &c->slots[i];
}

static void unlink_slot(struct workload_cache *c, struct slot *s)
{
	uint32_t *p = &c->buckets[hash_id(s->cgid, c->nbuckets)], self = (uint32_t)(s - c->slots);

	while (*p != self)
		p = &c->slots[*p].hnext;
	*p = s->hnext;
	s->state = SLOT_FREE;
	c->st.entries--;
}

/* A slot never used, else the first the clock hand finds free or unused since its last pass. */
static struct slot *take_slot(struct workload_cache *c)
{
	struct slot *s;

	if (c->used < c->st.capacity)
		return &c->slots[c->used++];
	for (;;) {
		s = &c->slots[c->hand];
		c->hand = (c->hand + 1) % c->st.capacity;
		if (s->state == SLOT_FREE)
			return s;
		if (!s->ref)
			break;
		s->ref = 0;
	}
	unlink_slot(c, s);
	c->st.evictions++;
	return s;
}

static struct slot *insert_slot(struct workload_cache *c, uint64_t cgid)
{
	struct slot *s = take_slot(c);
	uint32_t b = hash_id(cgid, c->nbuckets);

	s->cgid = cgid;
	s->hnext = c->buckets[b];
	c->buckets[b] = (uint32_t)(s - c->slots);
	c->st.entries++;
	return s;
}

void workload_cache__forget(struct workload_cache *c, uint64_t cgid)
{
	struct slot *s = c ? find_slot(c, cgid) : NULL;

	if (s)
		unlink_slot(c, s);
}

void workload_cache__invalidate(struct workload_cache *c)
{
	for (uint32_t i = 0; c && i < c->used; i++)
		c->slots[i].stale = 1;
}

/* --- Lookups --------------------------------------------------------------------------- */

static bool fresh(const struct slot *s, uint64_t now_s, uint32_t ttl_s)
{
	return !s->stale && now_s - s->when_s < ttl_s;
}

/* Keeps in s what resolving found (w; err 0 or -ENOENT, remembered as missing); returns err. */
static int store(struct workload_cache *c, struct slot *s, int err, const struct workload *w, uint64_t now_s,
		 const struct workload **out)
{
	s->state = err ? SLOT_MISSING : SLOT_NAMED;
	s->when_s = now_s;
	s->stale = 0;
	s->ref = 1;
	s->w = *w;
	free(s->path);
	s->path = err ? NULL : strdup(workload_resolver__path(c->r));
	s->w.path = s->path;
	*out = err ? NULL : &s->w;
	return err;
}

/* workload_cache__lookup with a member pid (0: none) for the resolver to try first. */
static int lookup(struct workload_cache *c, uint64_t cgid, uint32_t pid, const struct workload **out)
{
	uint64_t now_s = clock_ns(CLOCK_MONOTONIC_COARSE) / 1000000000ULL;
	struct workload w;
	struct slot *s;
	int err;

	*out = NULL;
	if (!c)
		return -EINVAL;
	s = find_slot(c, cgid);
	if (s && s->state == SLOT_NAMED && (s->w.gone || fresh(s, now_s, c->ttl_s))) {
		c->st.hits++;
		s->ref = 1;
		*out = &s->w;
		return 0;
	}
	if (s && s->state == SLOT_MISSING && fresh(s, now_s, WORKLOAD_CACHE_NEG_TTL_S)) {
		c->st.negative_hits++;
		return -ENOENT;
	}
	c->st.misses++;
	err = workload_resolver__resolve(c->r, cgid, pid, &w);
	if (err && err != -ENOENT)
		return err;
	if (s && s->state == SLOT_NAMED && err) {
		/* Removed since it was named: its last name still tells whose figures these were. */
		s->w.gone = true;
		c->st.gone++;
		*out = &s->w;
		return 0;
	}
	return store(c, s ? s : insert_slot(c, cgid), err, &w, now_s, out);
}

int workload_cache__lookup_pid(struct workload_cache *c, uint64_t cgid, uint32_t pid,
			       const struct workload **out)
{
	return lookup(c, cgid, pid, out);
}

int workload_cache__lookup(struct workload_cache *c, uint64_t cgid, const struct workload **out)
{
	return lookup(c, cgid, 0, out);
}
