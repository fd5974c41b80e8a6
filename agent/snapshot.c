/* Snapshots for the stats socket: built on the event loop, read-only once published. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "exposition.h"
#include "snapshot.h"

struct snapshot_builder {
	struct json_object *totals;	/* sums since start (exposition_accumulate) */
	struct json_object *window;	/* the latest metrics record, or NULL */
	struct json_object *details;	/* /health fields given by the daemon */
	char state[16];
	uint64_t started_ns;
	uint64_t windows;
};

struct snapshot *snapshot__get(struct snapshot *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void snapshot__put(struct snapshot *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL))
		return;
	free(s->health);
	free(s->stats);
	free(s->metrics);
	free(s);
}

struct snapshot_builder *snapshot_builder__new(void)
{
	struct snapshot_builder *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->totals = json_object_new_object();
	b->details = json_object_new_object();
	if (!b->totals || !b->details) {
		snapshot_builder__free(b);
		errno = ENOMEM;
		return NULL;
	}
	strcpy(b->state, "starting");
	b->started_ns = clock_ns(CLOCK_REALTIME);
	return b;
}

void snapshot_builder__free(struct snapshot_builder *b)
{
	if (!b)
		return;
	json_object_put(b->totals);
	json_object_put(b->window);
	json_object_put(b->details);
	free(b);
}

void snapshot_builder__window(struct snapshot_builder *b, struct json_object *metrics)
{
	exposition_accumulate(b->totals, metrics);
	json_object_put(b->window);
	b->window = json_object_get(metrics);
	b->windows++;
}

void snapshot_builder__health(struct snapshot_builder *b, const char *state,
			      struct json_object *details)
{
	snprintf(b->state, sizeof(b->state), "%s", state);
	json_object_put(b->details);
	b->details = details ? details : json_object_new_object();
}

/* A copy of obj's JSON text; NULL on allocation failure. */
static char *dump(struct json_object *obj, size_t *len)
{
	const char *s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, len);

	return s ? strndup(s, *len) : NULL;
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static char *health_text(struct snapshot_builder *b, size_t *len)
{
	struct json_object *h = json_object_new_object(), *drops, *v;
	char *text;

	json_object_object_add(h, "state", json_object_new_string(b->state));
	json_object_object_foreach(b->details, key, val)
		json_object_object_add(h, key, json_object_get(val));
	add_u64(h, "started_ns", b->started_ns);
	add_u64(h, "windows", b->windows);
	if (b->window && json_object_object_get_ex(b->window, "ts_ns", &v))
		json_object_object_add(h, "last_window_ns", json_object_get(v));
	else
		json_object_object_add(h, "last_window_ns", NULL);
	if (json_object_object_get_ex(b->totals, "drops", &drops))
		json_object_object_add(h, "drops", json_object_get(drops));
	else
		json_object_object_add(h, "drops", json_object_new_object());
	text = dump(h, len);
	json_object_put(h);
	return text;
}

struct snapshot *snapshot_builder__build(struct snapshot_builder *b)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->refs = 1;
	s->health = health_text(b, &s->health_len);
	s->metrics = exposition_render(b->totals, b->window, b->state, &s->metrics_len);
	if (b->window)
		s->stats = dump(b->window, &s->stats_len);
	if (!s->health || !s->metrics || (b->window && !s->stats)) {
		snapshot__put(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}
