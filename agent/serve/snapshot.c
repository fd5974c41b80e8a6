/* Snapshots for the stats socket: built on the event loop, read-only once published. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"
#include "serve/exposition.h"
#include "serve/snapshot.h"

/*
 * The texts that change only with a window or the state: rendered once, not
 * at every publish (the Kafka sink's progress republishes /health each second).
 */
struct snapshot_window {
	int refs;
	char *stats;
	size_t stats_len;
	char *metrics;
	size_t metrics_len;
};

struct snapshot_builder {
	struct json_object *totals;	/* sums since start (exposition_accumulate) */
	struct json_object *window;	/* the latest metrics record, or NULL */
	struct snapshot_window *texts;	/* of window and state, NULL once either changed */
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

static void window_put(struct snapshot_window *w)
{
	if (!w || __atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL))
		return;
	free(w->stats);
	free(w->metrics);
	free(w);
}

void snapshot__put(struct snapshot *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL))
		return;
	free(s->health);
	window_put(s->window);
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
	window_put(b->texts);
	free(b);
}

void snapshot_builder__window(struct snapshot_builder *b, struct json_object *metrics)
{
	exposition_accumulate(b->totals, metrics);
	json_object_put(b->window);
	b->window = json_object_get(metrics);
	b->windows++;
	window_put(b->texts);
	b->texts = NULL;
}

void snapshot_builder__health(struct snapshot_builder *b, const char *state,
			      struct json_object *details)
{
	if (strcmp(b->state, state)) {
		window_put(b->texts);
		b->texts = NULL;
	}
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

/* The window's and state's texts, rendered when they changed since the last build. */
static struct snapshot_window *window_texts(struct snapshot_builder *b)
{
	struct snapshot_window *w = b->texts;

	if (w)
		return w;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->refs = 1;
	w->metrics = exposition_render(b->totals, b->window, b->details, b->state,
				       &w->metrics_len);
	if (b->window)
		w->stats = dump(b->window, &w->stats_len);
	if (!w->metrics || (b->window && !w->stats)) {
		window_put(w);
		return NULL;
	}
	return b->texts = w;
}

struct snapshot *snapshot_builder__build(struct snapshot_builder *b)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	struct snapshot_window *w;

	if (!s)
		return NULL;
	s->refs = 1;
	s->health = health_text(b, &s->health_len);
	w = window_texts(b);
	if (!s->health || !w) {
		snapshot__put(s);
		errno = ENOMEM;
		return NULL;
	}
	__atomic_add_fetch(&w->refs, 1, __ATOMIC_RELAXED);
	s->window = w;
	s->metrics = w->metrics;
	s->metrics_len = w->metrics_len;
	s->stats = w->stats;
	s->stats_len = w->stats_len;
	return s;
}
