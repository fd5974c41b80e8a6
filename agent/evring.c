/* A fixed ring of serialized events behind one mutex: short critical sections, no reader blocks the loop for long. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "evring.h"

struct evring_slot {
	uint64_t seq;
	char *line;
};

struct evring {
	pthread_mutex_t lock;
	struct evring_slot *slots;
	size_t capacity;
	size_t head;		/* next slot to write */
	size_t count;
};

struct evring *evring__new(size_t capacity)
{
	struct evring *r = calloc(1, sizeof(*r));

	if (!r || !capacity)
		goto fail;
	r->slots = calloc(capacity, sizeof(*r->slots));
	if (!r->slots)
		goto fail;
	r->capacity = capacity;
	pthread_mutex_init(&r->lock, NULL);
	return r;
fail:
	free(r);
	errno = capacity ? ENOMEM : EINVAL;
	return NULL;
}

void evring__free(struct evring *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->capacity; i++)
		free(r->slots[i].line);
	pthread_mutex_destroy(&r->lock);
	free(r->slots);
	free(r);
}

int evring__push(struct evring *r, uint64_t seq, const char *line)
{
	char *copy = strdup(line), *old;

	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&r->lock);
	old = r->slots[r->head].line;
	r->slots[r->head] = (struct evring_slot){ .seq = seq, .line = copy };
	r->head = (r->head + 1) % r->capacity;
	if (r->count < r->capacity)
		r->count++;
	pthread_mutex_unlock(&r->lock);
	free(old);
	return 0;
}

size_t evring__read(struct evring *r, uint64_t since, size_t limit, bool tail,
		    void (*fn)(void *ctx, uint64_t seq, const char *line), void *ctx,
		    uint64_t *oldest)
{
	size_t n = 0, first, skip = 0;

	pthread_mutex_lock(&r->lock);
	first = (r->head + r->capacity - r->count) % r->capacity;
	*oldest = r->count ? r->slots[first].seq : 0;
	if (tail && r->count > limit)
		skip = r->count - limit;
	for (size_t i = skip; i < r->count && n < limit; i++) {
		const struct evring_slot *s = &r->slots[(first + i) % r->capacity];

		if (s->seq <= since)
			continue;
		fn(ctx, s->seq, s->line);
		n++;
	}
	pthread_mutex_unlock(&r->lock);
	return n;
}
