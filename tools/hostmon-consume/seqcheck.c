/* Sequence accounting for hostmon-consume --check: every seq per instance, sorted once to count gaps and duplicates. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "seqcheck.h"

struct instance {
	char *host_id;
	char *boot_id;
	char *instance_id;
	uint64_t *seqs;
	size_t n;
	size_t cap;
};

struct seqcheck {
	struct instance *inst;
	size_t n;
	size_t cap;
	size_t last_hit; /* records come in runs of one instance */
};

struct seqcheck *seqcheck__new(void)
{
	return calloc(1, sizeof(struct seqcheck));
}

void seqcheck__free(struct seqcheck *sc)
{
	size_t i;

	if (!sc)
		return;
	for (i = 0; i < sc->n; i++) {
		free(sc->inst[i].host_id);
		free(sc->inst[i].boot_id);
		free(sc->inst[i].instance_id);
		free(sc->inst[i].seqs);
	}
	free(sc->inst);
	free(sc);
}

static int same(const struct instance *in, const char *host_id, const char *boot_id,
		const char *instance_id)
{
	return !strcmp(in->instance_id, instance_id) && !strcmp(in->host_id, host_id) &&
	       !strcmp(in->boot_id, boot_id);
}

static struct instance *find_or_add(struct seqcheck *sc, const char *host_id,
				    const char *boot_id, const char *instance_id)
{
	struct instance *in;
	size_t i;

	if (sc->n && same(&sc->inst[sc->last_hit], host_id, boot_id, instance_id))
		return &sc->inst[sc->last_hit];
	for (i = 0; i < sc->n; i++) {
		if (same(&sc->inst[i], host_id, boot_id, instance_id)) {
			sc->last_hit = i;
			return &sc->inst[i];
		}
	}
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 4;
		struct instance *grown = realloc(sc->inst, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		sc->inst = grown;
		sc->cap = cap;
	}
	in = &sc->inst[sc->n];
	memset(in, 0, sizeof(*in));
	in->host_id = strdup(host_id);
	in->boot_id = strdup(boot_id);
	in->instance_id = strdup(instance_id);
	if (!in->host_id || !in->boot_id || !in->instance_id) {
		free(in->host_id);
		free(in->boot_id);
		free(in->instance_id);
		return NULL;
	}
	sc->last_hit = sc->n++;
	return in;
}

int seqcheck__add(struct seqcheck *sc, const char *host_id, const char *boot_id,
		  const char *instance_id, uint64_t seq)
{
	struct instance *in = find_or_add(sc, host_id, boot_id, instance_id);

	if (!in)
		return -ENOMEM;
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 256;
		uint64_t *grown = realloc(in->seqs, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		in->seqs = grown;
		in->cap = cap;
	}
	in->seqs[in->n++] = seq;
	return 0;
}

size_t seqcheck__instances(const struct seqcheck *sc)
{
	return sc ? sc->n : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void seqcheck__summary(struct seqcheck *sc, size_t i, struct seqcheck_summary *out)
{
	struct instance *in = &sc->inst[i];
	uint64_t distinct = 0, from;
	size_t k;

	memset(out, 0, sizeof(*out));
	out->host_id = in->host_id;
	out->boot_id = in->boot_id;
	out->instance_id = in->instance_id;
	out->count = in->n;
	if (!in->n)
		return;
	qsort(in->seqs, in->n, sizeof(*in->seqs), cmp_u64);
	for (k = 0; k < in->n; k++)
		if (k == 0 || in->seqs[k] != in->seqs[k - 1])
			distinct++;
	out->first = in->seqs[0];
	out->last = in->seqs[in->n - 1];
	out->duplicates = in->n - distinct;
	/* Seqs start at 1; a (bogus) seq 0 widens the range rather than underflowing. */
	from = out->first < 1 ? out->first : 1;
	out->gaps = (out->last - from) - (distinct - 1); /* no overflow at UINT64_MAX */
}
