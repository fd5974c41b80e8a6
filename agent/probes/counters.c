/* Last-seen values of cumulative counters, in a tsearch tree (bounded by the kernel map's size). */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "probes/counters.h"

struct counters {
	void *root;
	size_t key_size;
	uint64_t errors;
	uint64_t generation;	/* sweeps so far */
	void **stale;		/* scratch of counters__sweep */
	size_t nstale, stale_cap;
};

struct counter_node {
	const struct counters *owner;
	uint64_t last;
	uint64_t generation;	/* of the last counters__delta on it */
	unsigned char key[];
};

struct counters *counters__new(size_t key_size)
{
	struct counters *c;

	if (key_size > COUNTERS_KEY_MAX) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->key_size = key_size;
	return c;
}

void counters__free(struct counters *c)
{
	if (!c)
		return;
	tdestroy(c->root, free);
	free(c->stale);
	free(c);
}

static int cmp_node(const void *a, const void *b)
{
	const struct counter_node *na = a, *nb = b;

	return memcmp(na->key, nb->key, na->owner->key_size);
}

uint64_t counters__delta(struct counters *c, const void *key, uint64_t now)
{
	/* Room for the node's key after it; a union, as a struct with a flexible
	 * array may not sit inside another struct in ISO C (clang refuses it). */
	union {
		struct counter_node node;
		/* cppcheck-suppress unusedStructMember ; it sizes the union */
		unsigned char room[sizeof(struct counter_node) + COUNTERS_KEY_MAX];
	} probe;
	struct counter_node *node, **found;
	uint64_t last;

	probe.node.owner = c;
	memcpy(probe.node.key, key, c->key_size);
	found = tfind(&probe.node, &c->root, cmp_node);
	if (found) {
		last = (*found)->last;
		(*found)->last = now;
		(*found)->generation = c->generation;
		return now >= last ? now - last : now;
	}
	node = malloc(sizeof(*node) + c->key_size);
	if (node) {
		node->owner = c;
		node->last = now;
		node->generation = c->generation;
		memcpy(node->key, key, c->key_size);
	}
	if (!node || !tsearch(node, &c->root, cmp_node)) {
		free(node);
		c->errors++;
	}
	return now;
}

uint64_t counters__errors(const struct counters *c)
{
	return c->errors;
}

static void collect_stale(const void *nodep, VISIT which, void *closure)
{
	struct counter_node *node = *(struct counter_node *const *)nodep;
	struct counters *c = closure;
	void **grown;

	if ((which != postorder && which != leaf) || node->generation == c->generation)
		return;
	if (c->nstale == c->stale_cap) {
		grown = realloc(c->stale, (c->stale_cap * 2 + 64) * sizeof(*grown));
		if (!grown)
			return;	/* kept until the next sweep */
		c->stale = grown;
		c->stale_cap = c->stale_cap * 2 + 64;
	}
	c->stale[c->nstale++] = node;
}

void counters__sweep(struct counters *c)
{
	c->nstale = 0;
	twalk_r(c->root, collect_stale, c);
	for (size_t i = 0; i < c->nstale; i++) {
		tdelete(c->stale[i], &c->root, cmp_node);
		free(c->stale[i]);
	}
	c->generation++;
}

int counters_read_percpu(int map_fd, const void *key, uint64_t *buf, int ncpu, uint64_t *sum)
{
	*sum = 0;
	if (bpf_map_lookup_elem(map_fd, key, buf))
		return -errno;
	for (int cpu = 0; cpu < ncpu; cpu++)
		*sum += buf[cpu];
	return 0;
}
