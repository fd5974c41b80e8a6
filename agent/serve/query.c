/* Query parameters: one table says how each is parsed and bounded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/names.h"
#include "serve/query.h"

struct query_spec {
	const char *name;
	enum query_param bit;
	unsigned long long min, max;	/* numeric parameters */
};

static const struct query_spec query_specs[] = {
	{ "since", QUERY_SINCE, 0, INT64_MAX },
	{ "limit", QUERY_LIMIT, 1, QUERY_LIMIT_MAX },
	{ "syscall", QUERY_SYSCALL, 0, 0 },
	{ "top", QUERY_TOP, 1, QUERY_TOP_MAX },
	{ "level", QUERY_LEVEL, 0, 0 },
	{ "container", QUERY_CONTAINER, 0, 0 },
	{ "top_containers", QUERY_TOP_CONTAINERS, 1, QUERY_TOP_MAX },
};

void query_init(struct query *q)
{
	memset(q, 0, sizeof(*q));
	q->limit = QUERY_LIMIT_DEFAULT;
}

static int query_uint(const struct query_spec *s, const char *value, unsigned long long *out,
		      char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end || errno || v < s->min || v > s->max) {
		snprintf(err, errlen, "%s: '%.32s' is not an integer in %llu..%llu", s->name,
			 value, s->min, s->max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int query_level(const char *value, enum log_level *out, char *err, size_t errlen)
{
	for (int l = LOG_LEVEL_ERROR; l <= LOG_LEVEL_DEBUG; l++) {
		if (!strcmp(value, log_level_name(l))) {
			*out = l;
			return 0;
		}
	}
	snprintf(err, errlen, "level: '%.32s' is not error, warn, info or debug", value);
	return -EINVAL;
}

static int query_syscall(struct query *q, const char *value, char *err, size_t errlen)
{
	if (strlen(value) >= sizeof(q->syscall) || names_syscall_nr(value) < 0) {
		snprintf(err, errlen, "syscall: '%.32s' is not a syscall name", value);
		return -EINVAL;
	}
	strcpy(q->syscall, value);
	return 0;
}

/* Printable ASCII without blanks: a container id, a workload name or a cgroup path. */
static int query_container(struct query *q, const char *value, char *err, size_t errlen)
{
	size_t n = strlen(value);
	bool printable = true;

	for (size_t i = 0; printable && i < n; i++)
		printable = value[i] > ' ' && value[i] <= '~';
	if (!printable || n >= sizeof(q->container)) {
		snprintf(err, errlen, "container: '%.24s' is not a container id (printable, no "
			 "blanks, at most %zu bytes)", value, sizeof(q->container) - 1);
		return -EINVAL;
	}
	memcpy(q->container, value, n + 1);
	return 0;
}

static int query_value(struct query *q, const struct query_spec *s, const char *value,
		       char *err, size_t errlen)
{
	unsigned long long v;
	int ret;

	switch (s->bit) {
	case QUERY_SYSCALL:
		return query_syscall(q, value, err, errlen);
	case QUERY_LEVEL:
		return query_level(value, &q->level, err, errlen);
	case QUERY_CONTAINER:
		return query_container(q, value, err, errlen);
	default:
		break;
	}
	ret = query_uint(s, value, &v, err, errlen);
	if (ret)
		return ret;
	if (s->bit == QUERY_SINCE)
		q->since = v;
	else if (s->bit == QUERY_LIMIT)
		q->limit = (unsigned int)v;
	else if (s->bit == QUERY_TOP_CONTAINERS)
		q->top_containers = (unsigned int)v;
	else
		q->top = (unsigned int)v;
	return 0;
}

int query_add(struct query *q, unsigned int allowed, const char *key, const char *value,
	      char *err, size_t errlen)
{
	const struct query_spec *s = NULL;

	for (size_t i = 0; i < sizeof(query_specs) / sizeof(query_specs[0]); i++)
		if (!strcmp(key, query_specs[i].name) && (allowed & query_specs[i].bit))
			s = &query_specs[i];
	if (!s) {
		snprintf(err, errlen, "unknown parameter '%.32s'", key);
		return -EINVAL;
	}
	if (q->given & s->bit) {
		snprintf(err, errlen, "%s: given more than once", key);
		return -EINVAL;
	}
	if (!value || !value[0]) {
		snprintf(err, errlen, "%s: needs a value", key);
		return -EINVAL;
	}
	q->given |= s->bit;
	return query_value(q, s, value, err, errlen);
}

int query_require(const struct query *q, unsigned int required, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(query_specs) / sizeof(query_specs[0]); i++) {
		if ((required & query_specs[i].bit) && !(q->given & query_specs[i].bit)) {
			snprintf(err, errlen, "%s: required", query_specs[i].name);
			return -EINVAL;
		}
	}
	return 0;
}
