/* Crash records of one window counted by executable (bounded), and the canary rule. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probes/crashtally.h"

struct crashtally_row {
	char *exe;
	uint64_t count;
};

struct crashtally {
	struct crashtally_row rows[CRASHTALLY_MAX_EXES + 1];	/* + CRASHTALLY_OTHER */
	size_t n;
};

bool crashtally_is_canary(const char *comm, const char *exe, int sig, uint32_t sender_pid)
{
	const char *base;

	if (!comm || !exe || sig != SIGSEGV || sender_pid)
		return false;
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	return !strcmp(comm, CRASHTALLY_CANARY_COMM) && !strcmp(base, CRASHTALLY_CANARY_EXE);
}

struct crashtally *crashtally__new(void)
{
	return calloc(1, sizeof(struct crashtally));
}

void crashtally__reset(struct crashtally *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->rows[i].exe);
	t->n = 0;
}

void crashtally__free(struct crashtally *t)
{
	crashtally__reset(t);
	free(t);
}

static struct crashtally_row *find(struct crashtally *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->rows[i].exe, key))
			return &t->rows[i];
	return NULL;
}

/* key's row, made if missing; past CRASHTALLY_MAX_EXES keys, CRASHTALLY_OTHER's. */
static struct crashtally_row *row_of(struct crashtally *t, const char *key)
{
	struct crashtally_row *r = find(t, key);

	if (r)
		return r;
	if (t->n >= CRASHTALLY_MAX_EXES) {
		key = CRASHTALLY_OTHER;
		r = find(t, key);
		if (r)
			return r;
	}
	r = &t->rows[t->n];
	r->exe = strdup(key);
	if (!r->exe)
		return NULL;
	r->count = 0;
	t->n++;
	return r;
}

int crashtally__add(struct crashtally *t, const char *exe, const char *comm)
{
	char unknown[64];
	struct crashtally_row *r;

	if (!exe || !*exe) {
		snprintf(unknown, sizeof(unknown), "[%s]", comm ? comm : "");
		exe = unknown;
	}
	r = row_of(t, exe);
	if (!r)
		return -ENOMEM;
	r->count++;
	return 0;
}

void crashtally__each(const struct crashtally *t,
		      void (*fn)(void *ctx, const char *exe, uint64_t count), void *ctx)
{
	for (size_t i = 0; i < t->n; i++)
		fn(ctx, t->rows[i].exe, t->rows[i].count);
}
