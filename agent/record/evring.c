/* A fixed ring of serialized events behind one mutex: short critical sections, no reader blocks the loop for long. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "record/evring.h"

/* A slot keeps its buffer from event to event: it grows, never shrinks. */
struct evring_slot {
	uint64_t seq;
	char *line;
	size_t cap;
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

int evring__push(struct evring *r, uint64_t seq, const char *line, size_t len)
{
	struct evring_slot *s;
	char *grown;
	int err = 0;

	pthread_mutex_lock(&r->lock);
	s = &r->slots[r->head];
	if (len + 1 > s->cap) {
		grown = realloc(s->line, len + 1);
		if (!grown) {
			err = -ENOMEM;
			goto out;
		}
		s->line = grown;
		s->cap = len + 1;
	}
	memcpy(s->line, line, len);
	s->line[len] = 0;
	s->seq = seq;
	r->head = (r->head + 1) % r->capacity;
	if (r->count < r->capacity)
		r->count++;
out:
	pthread_mutex_unlock(&r->lock);
	return err;
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
