/* Last-seen values of cumulative counters, in a tsearch tree (bounded by the kernel map's size). */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "counters.h"

struct counters {
	void *root;
	size_t key_size;
	uint64_t errors;
};

struct counter_node {
	const struct counters *owner;
	uint64_t last;
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
	free(c);
}

static int cmp_node(const void *a, const void *b)
{
	const struct counter_node *na = a, *nb = b;

	return memcmp(na->key, nb->key, na->owner->key_size);
}

uint64_t counters__delta(struct counters *c, const void *key, uint64_t now)
{
	struct {
		struct counter_node node;
		unsigned char key[COUNTERS_KEY_MAX];
	} probe;
	struct counter_node *node, **found;
	uint64_t last;

	probe.node.owner = c;
	memcpy(probe.node.key, key, c->key_size);
	found = tfind(&probe.node, &c->root, cmp_node);
	if (found) {
		last = (*found)->last;
		(*found)->last = now;
		return now >= last ? now - last : now;
	}
	node = malloc(sizeof(*node) + c->key_size);
	if (node) {
		node->owner = c;
		node->last = now;
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

int counters_read_percpu(int map_fd, const void *key, uint64_t *buf, int ncpu, uint64_t *sum)
{
	*sum = 0;
	if (bpf_map_lookup_elem(map_fd, key, buf))
		return -errno;
	for (int cpu = 0; cpu < ncpu; cpu++)
		*sum += buf[cpu];
	return 0;
}
