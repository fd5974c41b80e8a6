/* The in-flight pool: one slot per record librdkafka holds, named by index in the message's opaque, freed by its delivery report. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "sinks/inflight.h"

struct slot {
	struct inflight_msg msg;
	uint32_t next_free;	/* index + 1 of the next free slot, 0: none */
	bool used;
};

struct inflight {
	struct slot *slots;
	uint32_t n;
	uint32_t free_head;	/* index + 1, 0: none free */
	uint32_t used;
};

struct inflight *inflight__new(void)
{
	struct inflight *inf = calloc(1, sizeof(*inf));

	if (!inf)
		errno = ENOMEM;
	return inf;
}

void inflight__free(struct inflight *inf)
{
	if (!inf)
		return;
	free(inf->slots);
	free(inf);
}

/* Doubles the pool, the new slots on the free list; 0 or -ENOMEM. */
static int grow(struct inflight *inf)
{
	uint32_t n = inf->n ? inf->n * 2 : 1024, i;
	struct slot *grown;

	if (n <= inf->n)
		return -ENOMEM;
	grown = realloc(inf->slots, (size_t)n * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	for (i = inf->n; i < n; i++) {
		grown[i].used = false;
		grown[i].next_free = i + 1 < n ? i + 2 : inf->free_head;
	}
	inf->free_head = inf->n + 1;
	inf->slots = grown;
	inf->n = n;
	return 0;
}

void *inflight__put(struct inflight *inf, const struct inflight_msg *msg)
{
	struct slot *s;
	uint32_t i;

	if (!inf->free_head && grow(inf))
		return NULL;
	i = inf->free_head - 1;
	s = &inf->slots[i];
	inf->free_head = s->next_free;
	s->msg = *msg;
	s->used = true;
	inf->used++;
	return (void *)(uintptr_t)(i + 1);
}

bool inflight__take(struct inflight *inf, void *opaque, struct inflight_msg *out)
{
	uintptr_t v = (uintptr_t)opaque;
	struct slot *s;

	if (!v || v > inf->n || !inf->slots[v - 1].used)
		return false;
	s = &inf->slots[v - 1];
	*out = s->msg;
	s->used = false;
	s->next_free = inf->free_head;
	inf->free_head = (uint32_t)v;
	inf->used--;
	return true;
}

void inflight__clear(struct inflight *inf)
{
	free(inf->slots);
	inf->slots = NULL;
	inf->n = inf->free_head = inf->used = 0;
}

uint32_t inflight__count(const struct inflight *inf)
{
	return inf->used;
}
