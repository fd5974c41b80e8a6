/* Partition state and the offsets that wait for effects; see part.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "part.h"

#define MD_MAGIC "hostmon-alert/1"

struct part *part__new(int by_exe, int32_t id, const struct rules_cfg *cfg, rules_emit_fn emit,
		       void *svc)
{
	struct part *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->svc = svc;
	p->by_exe = by_exe;
	p->id = id;
	p->next_offset = -1;
	p->live_from = -1;
	p->committed = -1;
	if (by_exe)
		p->wave = wave__new(cfg, emit, p);
	else
		p->rules = rules__new(cfg, emit, p);
	if (!p->wave && !p->rules) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void part__free(struct part *p)
{
	if (!p)
		return;
	rules__free(p->rules);
	wave__free(p->wave);
	free(p->pend);
	free(p->fence);
	free(p);
}

int part__pend(struct part *p, int64_t offset)
{
	struct pend *grown;

	p->refs++;
	if (p->npend && p->pend[p->npend - 1].offset >= offset) {
		/* same record, or a time-driven effect at an offset already pending */
		p->pend[p->npend - 1].refs++;
		return 0;
	}
	if (p->npend == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;

		grown = realloc(p->pend, cap * sizeof(*grown));
		if (!grown) {
			p->refs--;
			return -ENOMEM;
		}
		p->pend = grown;
		p->cap = cap;
	}
	p->pend[p->npend++] = (struct pend){ .offset = offset, .refs = 1 };
	return 0;
}

void part__settle(struct part *p, int64_t offset)
{
	size_t i, done = 0;

	if (p->refs)
		p->refs--;
	/* the entry holding offset: the last one at or below it */
	for (i = p->npend; i > 0 && p->pend[i - 1].offset > offset; i--)
		;
	if (i == 0 && p->npend)
		i = 1;
	if (i && p->pend[i - 1].refs)
		p->pend[i - 1].refs--;
	while (done < p->npend && !p->pend[done].refs)
		done++;
	memmove(p->pend, p->pend + done, (p->npend - done) * sizeof(*p->pend));
	p->npend -= done;
}

int64_t part__committable(const struct part *p)
{
	if (p->npend)
		return p->pend[0].offset;
	return p->next_offset;
}

int part__live(const struct part *p, int64_t offset)
{
	return p->live_from < 0 || offset >= p->live_from;
}

char *part__metadata(struct part *p, int64_t offset)
{
	char *md = malloc(PART_METADATA_MAX);
	int64_t from = p->rules ? rules__replay_from(p->rules) : wave__replay_from(p->wave);
	int n;

	if (!md)
		return NULL;
	if (from < 0 || from > offset)
		from = offset;
	n = snprintf(md, PART_METADATA_MAX, MD_MAGIC " replay=%" PRId64 " silent=", from);
	if (p->rules && n > 0 && n < PART_METADATA_MAX)
		p->silent_unlisted = rules__silent_list(p->rules, md + n, PART_METADATA_MAX - n);
	return md;
}

void part__parse_metadata(const char *md, size_t len, int64_t *replay_from, char **fence)
{
	char buf[PART_METADATA_MAX + 1], *s, *end;
	long long v;

	*replay_from = -1;
	*fence = NULL;
	if (!md || !len || len > PART_METADATA_MAX || strncmp(md, MD_MAGIC " ", sizeof(MD_MAGIC)))
		return;
	memcpy(buf, md, len);
	buf[len] = '\0';
	s = strstr(buf, " replay=");
	if (s) {
		errno = 0;
		v = strtoll(s + 8, &end, 10);
		if (!errno && end != s + 8 && v >= 0)
			*replay_from = v;
	}
	s = strstr(buf, " silent=");
	if (s && s[8])
		*fence = strdup(s + 8);
}

uint64_t part__now(const struct part *p, uint64_t wall_ns)
{
	return p->at_eof && wall_ns > p->stream_ns ? wall_ns : p->stream_ns;
}

void part__apply_fence(struct part *p)
{
	char *host, *save = NULL;

	if (!p->fence || !p->rules)
		goto out;
	for (host = strtok_r(p->fence, ",", &save); host; host = strtok_r(NULL, ",", &save))
		rules__silent_sent(p->rules, host);
out:
	free(p->fence);
	p->fence = NULL;
}
