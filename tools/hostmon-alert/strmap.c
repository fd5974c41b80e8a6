/* Chained hash table (FNV-1a), doubling at a load of one entry per bucket. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "strmap.h"

struct entry {
	struct entry *next;
	char *key;
	uint64_t hash;
	/* value_size bytes follow, aligned for any state struct */
	_Alignas(16) unsigned char value[];
};

struct strmap {
	struct entry **buckets;
	size_t nbuckets;
	size_t count;
	size_t value_size;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

struct strmap *strmap__new(size_t value_size)
{
	struct strmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nbuckets = 64;
	m->value_size = value_size;
	m->buckets = calloc(m->nbuckets, sizeof(struct entry *));
	if (!m->buckets) {
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	return m;
}

static void entry_free(struct entry *e)
{
	free(e->key);
	free(e);
}

void strmap__free(struct strmap *m)
{
	struct entry *e, *next;

	if (!m)
		return;
	for (size_t i = 0; i < m->nbuckets; i++)
		for (e = m->buckets[i]; e; e = next) {
			next = e->next;
			entry_free(e);
		}
	free(m->buckets);
	free(m);
}

static struct entry **slot_of(const struct strmap *m, const char *key, uint64_t h)
{
	struct entry **p = &m->buckets[h & (m->nbuckets - 1)];

	while (*p && ((*p)->hash != h || strcmp((*p)->key, key)))
		p = &(*p)->next;
	return p;
}

void *strmap__get(const struct strmap *m, const char *key)
{
	struct entry *e = *slot_of(m, key, fnv1a(key));

	return e ? e->value : NULL;
}

static void grow(struct strmap *m)
{
	size_t n = m->nbuckets * 2;
	struct entry **b = calloc(n, sizeof(struct entry *)), *e, *next;

	if (!b)
		return; /* still correct, only slower */
	for (size_t i = 0; i < m->nbuckets; i++)
		for (e = m->buckets[i]; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

void *strmap__get_or_add(struct strmap *m, const char *key, int *added)
{
	uint64_t h = fnv1a(key);
	struct entry **p = slot_of(m, key, h), *e;

	*added = 0;
	if (*p)
		return (*p)->value;
	e = calloc(1, sizeof(*e) + m->value_size);
	if (!e || !(e->key = strdup(key))) {
		free(e);
		errno = ENOMEM;
		return NULL;
	}
	e->hash = h;
	*p = e;
	*added = 1;
	if (++m->count > m->nbuckets)
		grow(m);
	return e->value;
}

void strmap__del(struct strmap *m, const char *key)
{
	struct entry **p = slot_of(m, key, fnv1a(key)), *e = *p;

	if (!e)
		return;
	*p = e->next;
	entry_free(e);
	m->count--;
}

size_t strmap__count(const struct strmap *m)
{
	return m->count;
}

void strmap__each(struct strmap *m, int (*fn)(void *ctx, const char *key, void *value), void *ctx)
{
	struct entry **p, *e;

	for (size_t i = 0; i < m->nbuckets; i++) {
		p = &m->buckets[i];
		while ((e = *p)) {
			if (fn(ctx, e->key, e->value)) {
				*p = e->next;
				entry_free(e);
				m->count--;
			} else {
				p = &e->next;
			}
		}
	}
}
