/* Building alerts and writing them as Alertmanager v2 JSON (json-c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "alert.h"

static void pair_set(struct alert_pair *p, const char *key, const char *value)
{
	snprintf(p->key, sizeof(p->key), "%s", key);
	snprintf(p->value, sizeof(p->value), "%s", value);
}

void alert_init(struct alert *a, const char *name, uint64_t starts_ns, uint64_t ends_ns)
{
	memset(a, 0, sizeof(*a));
	a->starts_ns = starts_ns;
	a->ends_ns = ends_ns;
	alert_label(a, "alertname", name);
	alert_label(a, "source", "hostmon-alert");
}

void alert_label(struct alert *a, const char *key, const char *value)
{
	if (a->nlabels < ALERT_LABELS_MAX)
		pair_set(&a->labels[a->nlabels++], key, value);
}

void alert_note(struct alert *a, const char *key, const char *fmt, ...)
{
	struct alert_pair *p;
	va_list ap;

	if (a->nannotations >= ALERT_ANNOTATIONS_MAX)
		return;
	p = &a->annotations[a->nannotations++];
	snprintf(p->key, sizeof(p->key), "%s", key);
	va_start(ap, fmt);
	vsnprintf(p->value, sizeof(p->value), fmt, ap);
	va_end(ap);
}

void alert_time(char *out, size_t len, uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	char day[32];

	gmtime_r(&s, &tm);
	if (!strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm))
		day[0] = '\0';
	snprintf(out, len, "%s.%03uZ", day, (unsigned)(ns / 1000000ULL % 1000));
}

const char *alert_get(const struct alert *a, const char *key)
{
	for (int i = 0; i < a->nlabels; i++)
		if (!strcmp(a->labels[i].key, key))
			return a->labels[i].value;
	for (int i = 0; i < a->nannotations; i++)
		if (!strcmp(a->annotations[i].key, key))
			return a->annotations[i].value;
	return NULL;
}

static json_object *pairs_json(const struct alert_pair *p, int n)
{
	json_object *o = json_object_new_object();

	for (int i = 0; o && i < n; i++)
		json_object_object_add(o, p[i].key, json_object_new_string(p[i].value));
	return o;
}

static void add_time(json_object *o, const char *key, uint64_t ns)
{
	char t[48];

	alert_time(t, sizeof(t), ns);
	json_object_object_add(o, key, json_object_new_string(t));
}

char *alert_to_json(const struct alert *a, const char *generator_url)
{
	json_object *o = json_object_new_object();
	char *out;

	if (!o) {
		errno = ENOMEM;
		return NULL;
	}
	json_object_object_add(o, "labels", pairs_json(a->labels, a->nlabels));
	json_object_object_add(o, "annotations", pairs_json(a->annotations, a->nannotations));
	add_time(o, "startsAt", a->starts_ns);
	if (a->ends_ns)
		add_time(o, "endsAt", a->ends_ns);
	if (generator_url && *generator_url)
		json_object_object_add(o, "generatorURL", json_object_new_string(generator_url));
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if (!out)
		errno = ENOMEM;
	return out;
}
