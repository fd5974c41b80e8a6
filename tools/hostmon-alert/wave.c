/* Crash waves: per executable, the hosts that crashed within the window; see wave.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "strmap.h"
#include "wave.h"

#define WAVE_NAMES	5	/* example hosts an alert carries */

struct wave_host {
	char *host;
	char instance_id[72];
	uint64_t seq;		/* last crash's seq: a forwarded duplicate is not counted again */
	uint64_t last_ns;
	int64_t offset;
};

struct exe_state {
	struct wave_host *hosts;
	size_t n, cap;
	struct episode ep;
	uint64_t sent_hosts;	/* hosts in the window when last sent */
};

struct wave {
	struct rules_cfg cfg;
	rules_emit_fn emit;
	void *ctx;
	struct strmap *exes;
};

struct wave *wave__new(const struct rules_cfg *cfg, rules_emit_fn emit, void *ctx)
{
	struct wave *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->cfg = *cfg;
	w->emit = emit;
	w->ctx = ctx;
	w->exes = strmap__new(sizeof(struct exe_state));
	if (!w->exes) {
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	return w;
}

static void exe_release(struct exe_state *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->hosts[i].host);
	free(e->hosts);
	e->hosts = NULL;
	e->n = e->cap = 0;
}

static int release_each(void *ctx, const char *key, void *value)
{
	(void)ctx;
	(void)key;
	exe_release(value);
	return 1;
}

void wave__free(struct wave *w)
{
	if (!w)
		return;
	strmap__each(w->exes, release_each, NULL);
	strmap__free(w->exes);
	free(w);
}

/* Drops the hosts whose last crash is older than the window before now. */
static void prune(struct exe_state *e, uint64_t now, uint64_t window)
{
	size_t i = 0;

	while (i < e->n) {
		if (e->hosts[i].last_ns + window < now) {
			free(e->hosts[i].host);
			e->hosts[i] = e->hosts[--e->n];
		} else {
			i++;
		}
	}
}

static struct wave_host *host_of(struct exe_state *e, const char *host)
{
	struct wave_host *nh;

	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->hosts[i].host, host))
			return &e->hosts[i];
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;

		nh = realloc(e->hosts, cap * sizeof(*nh));
		if (!nh)
			return NULL;
		e->hosts = nh;
		e->cap = cap;
	}
	nh = &e->hosts[e->n];
	memset(nh, 0, sizeof(*nh));
	nh->host = strdup(host);
	if (!nh->host)
		return NULL;
	e->n++;
	return nh;
}

static void wave_alert(struct wave *w, const char *exe, const struct exe_state *e, int64_t offset)
{
	char names[ALERT_VALUE_LEN] = "";
	size_t off = 0;
	struct alert a;

	for (size_t i = 0; i < e->n && i < WAVE_NAMES && off < sizeof(names); i++)
		off += snprintf(names + off, sizeof(names) - off, "%s%s", i ? "," : "", e->hosts[i].host);
	alert_init(&a, "HostmonStreamCrashWave", e->ep.starts_ns, e->ep.last_ns + w->cfg.wave_window_ns);
	alert_label(&a, "severity", "critical");
	alert_label(&a, "exe", exe);
	alert_note(&a, "summary", "%s crashed on %zu hosts within %llu s", exe, e->n,
		   (unsigned long long)(w->cfg.wave_window_ns / 1000000000ULL));
	alert_note(&a, "hosts", "%zu", e->n);
	alert_note(&a, "example_hosts", "%s", names);
	episode_notes(&a, &e->ep);
	rules_runbook(&a, w->cfg.runbook, "crash-wave");
	w->emit(w->ctx, &a, offset, NULL);
}

/* Adds the crash to e; 1 when it was new, 0 for a duplicate, -ENOMEM. */
static int note_crash(struct exe_state *e, const Hostmon__V1__Envelope *env, int64_t offset)
{
	struct wave_host *h = host_of(e, env->host_id);

	if (!h)
		return -ENOMEM;
	if (!strcmp(h->instance_id, env->instance_id) && env->seq <= h->seq)
		return 0;
	snprintf(h->instance_id, sizeof(h->instance_id), "%s", env->instance_id);
	h->seq = env->seq;
	if (env->ts_ns > h->last_ns)
		h->last_ns = env->ts_ns;
	h->offset = offset;
	return 1;
}

int wave__record(struct wave *w, const Hostmon__V1__Envelope *env, int64_t offset, int live)
{
	char keybuf[64];
	const char *exe;
	struct exe_state *e;
	uint64_t ts = env->ts_ns;
	int added, ret;

	if (env->event_case != HOSTMON__V1__ENVELOPE__EVENT_PROCESS_CRASH || !env->host_id)
		return 0;
	exe = rules_exe_key(env->process_crash, keybuf, sizeof(keybuf));
	e = strmap__get_or_add(w->exes, exe, &added);
	if (!e)
		return -ENOMEM;
	prune(e, ts, w->cfg.wave_window_ns);
	if ((e->ep.firing && ts > e->ep.last_ns + w->cfg.wave_window_ns) || (!e->ep.firing && !e->n))
		memset(&e->ep, 0, sizeof(e->ep)); /* a new wave, or none yet */
	ret = note_crash(e, env, offset);
	if (ret <= 0)
		return ret;
	if (!e->ep.firing)
		e->ep.first_offset = e->ep.count ? e->ep.first_offset : offset;
	episode_add(&e->ep, ts, env->process_crash->pid);
	if (e->n < w->cfg.wave_hosts)
		return 0;
	if (!e->ep.firing) {
		e->ep.firing = 1;
		e->ep.starts_ns = ts;
	} else if (e->n < 2 * e->sent_hosts && ts - e->ep.sent_ns < w->cfg.wave_window_ns / 2) {
		return 0;
	}
	e->ep.sent_ns = ts;
	e->sent_hosts = e->n;
	if (live)
		wave_alert(w, exe, e, offset);
	return 0;
}

struct wave_tick {
	uint64_t now, window;
};

static int expired(void *ctx, const char *key, void *value)
{
	const struct wave_tick *t = ctx;
	struct exe_state *e = value;

	(void)key;
	prune(e, t->now, t->window);
	if (e->n || (e->ep.firing && e->ep.last_ns + t->window >= t->now))
		return 0;
	exe_release(e);
	return 1;
}

void wave__tick(struct wave *w, uint64_t now_ns)
{
	struct wave_tick t = { .now = now_ns, .window = w->cfg.wave_window_ns };

	strmap__each(w->exes, expired, &t);
}

static int exe_lowest(void *ctx, const char *key, void *value)
{
	int64_t *low = ctx;
	const struct exe_state *e = value;

	(void)key;
	for (size_t i = 0; i < e->n; i++)
		if (*low < 0 || e->hosts[i].offset < *low)
			*low = e->hosts[i].offset;
	if (e->ep.count && (*low < 0 || e->ep.first_offset < *low))
		*low = e->ep.first_offset;
	return 0;
}

int64_t wave__replay_from(struct wave *w)
{
	int64_t low = -1;

	strmap__each(w->exes, exe_lowest, &low);
	return low;
}
