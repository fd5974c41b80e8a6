/* Per-host stream rules: state per host, per (host, exe) and per (host, container); see rules.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"
#include "strmap.h"

#define NS	1000000000ULL
#define ID_LEN	72

enum silent_state { SILENT_NO, SILENT_PENDING, SILENT_SENT };

struct host {
	char boot_id[ID_LEN];
	char instance_id[ID_LEN];
	uint64_t seq;
	uint64_t last_ns;
	int64_t last_offset;
	uint64_t interval_ns;
	enum silent_state silent;
	uint64_t silent_starts_ns;
	uint64_t silent_sent_ns;	/* reference time it was last sent */
	struct episode degraded;
	struct episode shedding;
	char shed_level[64];
};

/* The last N crashes of one exe on one host, oldest first from head. */
struct crashes {
	uint64_t ts[RULES_COUNT_MAX];
	int64_t offset[RULES_COUNT_MAX];
	unsigned n, head;
	struct episode ep;
	char signal[24];
	int core_dumped;
	uint32_t sender_pid;
	char sender[24];
};

struct rules {
	struct rules_cfg cfg;
	rules_emit_fn emit;
	void *ctx;
	int live;
	struct strmap *hosts;
	struct strmap *crashes;	/* "host\x1fexe" */
	struct strmap *ooms;	/* "host\x1fcontainer" */
	struct rules_stats stats;
};

void rules_cfg_defaults(struct rules_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->crash_loop_count = 3;
	c->crash_loop_window_ns = 300 * NS;
	c->wave_hosts = 3;
	c->wave_window_ns = 600 * NS;
	c->oom_count = 1;
	c->oom_window_ns = 600 * NS;
	c->silent_intervals = 3;
	c->default_interval_ns = 10 * NS;
	c->lost_hold_ns = 600 * NS;
	c->forget_ns = 3600 * NS;
	c->refresh_ns = 120 * NS;
	/* the page in the repository; [alerts] runbook_url points at where a team hosts it */
	snprintf(c->runbook, sizeof(c->runbook), "%s", "docs/runbooks/stream-alerts.md");
}

struct rules *rules__new(const struct rules_cfg *cfg, rules_emit_fn emit, void *ctx)
{
	struct rules *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cfg = *cfg;
	r->emit = emit;
	r->ctx = ctx;
	r->hosts = strmap__new(sizeof(struct host));
	r->crashes = strmap__new(sizeof(struct crashes));
	r->ooms = strmap__new(sizeof(struct episode));
	if (!r->hosts || !r->crashes || !r->ooms) {
		rules__free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

void rules__free(struct rules *r)
{
	if (!r)
		return;
	strmap__free(r->hosts);
	strmap__free(r->crashes);
	strmap__free(r->ooms);
	free(r);
}

void episode_add(struct episode *ep, uint64_t ts_ns, uint32_t pid)
{
	if (!ep->count || ts_ns < ep->first_ns)
		ep->first_ns = ts_ns;
	if (ts_ns > ep->last_ns)
		ep->last_ns = ts_ns;
	ep->count++;
	if (!pid)
		return;
	if (ep->npids < RULES_PIDS) {
		ep->pids[ep->npids++] = pid;
	} else {
		memmove(ep->pids, ep->pids + 1, (RULES_PIDS - 1) * sizeof(ep->pids[0]));
		ep->pids[RULES_PIDS - 1] = pid;
	}
}

void episode_notes(struct alert *a, const struct episode *ep)
{
	char first[48], last[48], pids[RULES_PIDS * 11 + 1] = "";
	size_t off = 0;

	alert_time(first, sizeof(first), ep->first_ns);
	alert_time(last, sizeof(last), ep->last_ns);
	for (unsigned i = 0; i < ep->npids && off < sizeof(pids); i++)
		off += snprintf(pids + off, sizeof(pids) - off, "%s%u", i ? "," : "", ep->pids[i]);
	alert_note(a, "count", "%llu", (unsigned long long)ep->count);
	alert_note(a, "first_seen", "%s", first);
	alert_note(a, "last_seen", "%s", last);
	if (ep->npids)
		alert_note(a, "example_pids", "%s", pids);
}

void rules_runbook(struct alert *a, const char *base, const char *anchor)
{
	alert_note(a, "runbook_url", "%s#%s", base, anchor);
}

static void emit(struct rules *r, const struct alert *a, int64_t offset, const char *silent_host)
{
	if (r->live)
		r->emit(r->ctx, a, offset, silent_host);
}

/* ---- crash loop: N crashes of one exe on one host within the window ---- */

const char *rules_exe_key(const Hostmon__V1__ProcessCrash *c, char *buf, size_t len)
{
	if (c->exe && *c->exe)
		return c->exe;
	snprintf(buf, len, "comm:%s", c->comm ? c->comm : "");
	return buf;
}

static void crash_alert(struct rules *r, const char *host, const char *exe,
			const struct crashes *cs, int64_t offset)
{
	const struct episode *ep = &cs->ep;
	struct alert a;

	alert_init(&a, "HostmonStreamCrashLoop", ep->starts_ns,
		   ep->last_ns + r->cfg.crash_loop_window_ns);
	alert_label(&a, "severity", "warning");
	alert_label(&a, "host", host);
	alert_label(&a, "exe", exe);
	alert_note(&a, "summary", "%s crashed %llu times on %s", exe,
		   (unsigned long long)ep->count, host);
	episode_notes(&a, ep);
	alert_note(&a, "signal", "%s", cs->signal);
	alert_note(&a, "core_dumped", "%s", cs->core_dumped ? "true" : "false");
	if (cs->sender_pid)
		alert_note(&a, "sender", "%s (pid %u)", cs->sender, cs->sender_pid);
	rules_runbook(&a, r->cfg.runbook, "crash-loop");
	emit(r, &a, offset, NULL);
}

static void crashes_push(struct crashes *cs, unsigned cap, uint64_t ts, int64_t offset)
{
	unsigned slot;

	if (cs->n < cap) {
		slot = (cs->head + cs->n++) % RULES_COUNT_MAX;
	} else {
		slot = cs->head;
		cs->head = (cs->head + 1) % RULES_COUNT_MAX;
		if (cap < cs->n) /* the count was lowered: keep the last cap */
			cs->n = cap;
	}
	cs->ts[slot] = ts;
	cs->offset[slot] = offset;
}

static int crash_loop(struct rules *r, const char *host, uint64_t ts,
		      const Hostmon__V1__ProcessCrash *c, int64_t offset)
{
	char key[600], exebuf[64];
	const char *exe = rules_exe_key(c, exebuf, sizeof(exebuf));
	unsigned n = r->cfg.crash_loop_count;
	struct crashes *cs;
	int added;

	snprintf(key, sizeof(key), "%s\x1f%s", host, exe);
	cs = strmap__get_or_add(r->crashes, key, &added);
	if (!cs)
		return -ENOMEM;
	if (cs->ep.firing && ts > cs->ep.last_ns + r->cfg.crash_loop_window_ns)
		memset(&cs->ep, 0, sizeof(cs->ep)); /* ended at its endsAt */
	crashes_push(cs, n, ts, offset);
	snprintf(cs->signal, sizeof(cs->signal), "%s", c->signal_name ? c->signal_name : "");
	cs->core_dumped = c->core_dumped;
	cs->sender_pid = c->sender_pid;
	snprintf(cs->sender, sizeof(cs->sender), "%s", c->sender_comm ? c->sender_comm : "");
	if (cs->ep.firing) {
		episode_add(&cs->ep, ts, c->pid);
		if (ts - cs->ep.sent_ns >= r->cfg.crash_loop_window_ns / 2) {
			cs->ep.sent_ns = ts;
			crash_alert(r, host, exe, cs, offset);
		}
		return 0;
	}
	episode_add(&cs->ep, ts, c->pid);
	if (cs->n < n || ts - cs->ts[cs->head] > r->cfg.crash_loop_window_ns) {
		/* not (yet) a loop: the evidence counts the crashes in the ring */
		cs->ep.count = cs->n;
		cs->ep.first_ns = cs->ts[cs->head];
		cs->ep.first_offset = cs->offset[cs->head];
		return 0;
	}
	cs->ep.firing = 1;
	cs->ep.starts_ns = ts;
	cs->ep.count = n;
	cs->ep.first_ns = cs->ts[cs->head];
	cs->ep.first_offset = cs->offset[cs->head];
	cs->ep.sent_ns = ts;
	crash_alert(r, host, exe, cs, offset);
	return 0;
}

/* ---- OOM kills per container ---- */

static void oom_alert(struct rules *r, const char *host, const char *container,
		      const struct episode *ep, const char *comm, int64_t offset)
{
	struct alert a;

	alert_init(&a, "HostmonStreamOomKill", ep->starts_ns, ep->last_ns + r->cfg.oom_window_ns);
	alert_label(&a, "severity", "warning");
	alert_label(&a, "host", host);
	alert_label(&a, "container", container);
	alert_note(&a, "summary", "%llu OOM kill(s) in %s on %s (last victim %s)",
		   (unsigned long long)ep->count, container, host, comm);
	episode_notes(&a, ep);
	rules_runbook(&a, r->cfg.runbook, "oom-kill");
	emit(r, &a, offset, NULL);
}

static int oom_kill(struct rules *r, const char *host, uint64_t ts,
		    const Hostmon__V1__OomKill *o, int64_t offset)
{
	const char *container = o->container_id && *o->container_id ? o->container_id :
				o->memcg && *o->memcg ? o->memcg : "/";
	struct episode *ep;
	char key[600];
	int added;

	snprintf(key, sizeof(key), "%s\x1f%s", host, container);
	ep = strmap__get_or_add(r->ooms, key, &added);
	if (!ep)
		return -ENOMEM;
	if (ep->count && ts > ep->last_ns + r->cfg.oom_window_ns)
		memset(ep, 0, sizeof(*ep)); /* the last one left the window: a new episode */
	if (!ep->count)
		ep->first_offset = offset;
	episode_add(ep, ts, o->pid);
	if (ep->count < r->cfg.oom_count)
		return 0;
	if (!ep->firing) {
		ep->firing = 1;
		ep->starts_ns = ts;
	}
	/* every kill is news: the victim, the count; bounded by the kernel's own rate */
	ep->sent_ns = ts;
	oom_alert(r, host, container, ep, o->comm ? o->comm : "", offset);
	return 0;
}

/* ---- open alerts of the agent's own state: degraded, shedding ---- */

static void state_alert(struct rules *r, const char *name, const char *anchor, const char *host,
			const struct episode *ep, uint64_t ends_ns, const char *detail, int64_t offset)
{
	struct alert a;

	alert_init(&a, name, ep->starts_ns, ends_ns);
	alert_label(&a, "severity", "warning");
	alert_label(&a, "host", host);
	alert_note(&a, "summary", "hostmond on %s: %s", host, detail);
	episode_notes(&a, ep);
	rules_runbook(&a, r->cfg.runbook, anchor);
	emit(r, &a, offset, NULL);
}

/* on: the condition holds in this record; fires, refreshes or resolves. */
static void state_rule(struct rules *r, const char *name, const char *anchor, const char *host,
		       struct episode *ep, int on, uint64_t ts, const char *detail, int64_t offset)
{
	if (on) {
		if (!ep->firing) {
			memset(ep, 0, sizeof(*ep));
			ep->firing = 1;
			ep->starts_ns = ts;
			ep->first_offset = offset;
		}
		episode_add(ep, ts, 0);
		if (ep->count == 1 || ts - ep->sent_ns >= r->cfg.refresh_ns) {
			ep->sent_ns = ts;
			state_alert(r, name, anchor, host, ep, 0, detail, offset);
		}
	} else if (ep->firing) {
		ep->firing = 0;
		state_alert(r, name, anchor, host, ep, ts, detail, offset);
	}
}

static void agent_state(struct rules *r, const char *host, struct host *h,
			const Hostmon__V1__Envelope *env, int64_t offset)
{
	const Hostmon__V1__MetricsWindow *m = env->metrics;
	const char *shed;
	int degraded;

	if (env->event_case == HOSTMON__V1__ENVELOPE__EVENT_AGENT_STATUS) {
		degraded = env->agent_status->state == HOSTMON__V1__AGENT_STATE__AGENT_STATE_DEGRADED;
		state_rule(r, "HostmonStreamAgentDegraded", "agent-degraded", host, &h->degraded,
			   degraded, env->ts_ns, degraded ? env->agent_status->reason : "running", offset);
		return;
	}
	if (env->event_case != HOSTMON__V1__ENVELOPE__EVENT_METRICS)
		return;
	if (m->window_ns)
		h->interval_ns = m->window_ns;
	degraded = m->state == HOSTMON__V1__AGENT_STATE__AGENT_STATE_DEGRADED;
	if (degraded || h->degraded.firing)
		state_rule(r, "HostmonStreamAgentDegraded", "agent-degraded", host, &h->degraded,
			   degraded, env->ts_ns, degraded ? "degraded" : "running", offset);
	shed = m->self && m->self->shed_level ? m->self->shed_level : "";
	if (*shed && strcmp(shed, "none"))
		snprintf(h->shed_level, sizeof(h->shed_level), "shedding %s", shed);
	state_rule(r, "HostmonStreamAgentShedding", "agent-shedding", host, &h->shedding,
		   *shed && strcmp(shed, "none"), env->ts_ns, h->shed_level, offset);
}

/* ---- lost records and restarts, from (boot_id, instance_id, seq) ---- */

static void lost_alert(struct rules *r, const char *name, const char *anchor, const char *host,
		       uint64_t ts, const char *summary, int64_t offset)
{
	struct alert a;

	alert_init(&a, name, ts, ts + r->cfg.lost_hold_ns);
	alert_label(&a, "severity", "warning");
	alert_label(&a, "host", host);
	alert_note(&a, "summary", "%s", summary);
	rules_runbook(&a, r->cfg.runbook, anchor);
	emit(r, &a, offset, NULL);
}

static void seq_check(struct rules *r, const char *host, struct host *h,
		      const Hostmon__V1__Envelope *env, int64_t offset)
{
	char msg[ALERT_VALUE_LEN];

	if (strcmp(h->instance_id, env->instance_id)) {
		snprintf(msg, sizeof(msg),
			 "hostmond on %s restarted%s: instance %.16s ended at seq %llu, %.16s starts at seq %llu",
			 host, strcmp(h->boot_id, env->boot_id) ? " (host rebooted)" : "",
			 h->instance_id, (unsigned long long)h->seq, env->instance_id,
			 (unsigned long long)env->seq);
		lost_alert(r, "HostmonStreamAgentRestarted", "agent-restarted", host, env->ts_ns, msg, offset);
		if (env->seq > 1) {
			snprintf(msg, sizeof(msg), "%llu records lost on %s: new instance %.16s starts at seq %llu",
				 (unsigned long long)(env->seq - 1), host, env->instance_id,
				 (unsigned long long)env->seq);
			lost_alert(r, "HostmonStreamRecordsLost", "records-lost", host, env->ts_ns, msg, offset);
		}
	} else if (env->seq <= h->seq) {
		r->stats.duplicates++;
		return;
	} else if (env->seq > h->seq + 1) {
		snprintf(msg, sizeof(msg), "%llu records lost on %s: seq %llu to %llu missing (instance %.16s)",
			 (unsigned long long)(env->seq - h->seq - 1), host,
			 (unsigned long long)h->seq + 1, (unsigned long long)env->seq - 1, env->instance_id);
		lost_alert(r, "HostmonStreamRecordsLost", "records-lost", host, env->ts_ns, msg, offset);
	}
	snprintf(h->boot_id, sizeof(h->boot_id), "%s", env->boot_id);
	snprintf(h->instance_id, sizeof(h->instance_id), "%s", env->instance_id);
	h->seq = env->seq;
}

/* ---- silent hosts ---- */

static void silent_alert(struct rules *r, const char *host, const struct host *h,
			 uint64_t ends_ns, int64_t offset)
{
	char last[48];
	struct alert a;

	alert_init(&a, "HostmonStreamHostSilent", h->silent_starts_ns, ends_ns);
	alert_label(&a, "severity", "critical");
	alert_label(&a, "host", host);
	alert_time(last, sizeof(last), h->last_ns);
	alert_note(&a, "summary", "no record from %s since %s (%u intervals of %llu s)", host, last,
		   r->cfg.silent_intervals, (unsigned long long)(h->interval_ns / NS));
	alert_note(&a, "last_seen", "%s", last);
	alert_note(&a, "last_seq", "%llu", (unsigned long long)h->seq);
	rules_runbook(&a, r->cfg.runbook, "host-silent");
	emit(r, &a, offset, ends_ns ? NULL : host);
}

static void back_from_silence(struct rules *r, const char *host, struct host *h, uint64_t ts,
			      int64_t offset)
{
	if (h->silent == SILENT_NO)
		return;
	h->silent = SILENT_NO;
	silent_alert(r, host, h, ts, offset);
}

static int is_canary(const Hostmon__V1__ProcessCrash *c)
{
	return c->canary;
}

static int event_rules(struct rules *r, const char *host, const Hostmon__V1__Envelope *env,
		       int64_t offset)
{
	switch (env->event_case) {
	case HOSTMON__V1__ENVELOPE__EVENT_PROCESS_CRASH:
		if (is_canary(env->process_crash)) {
			r->stats.canary_crashes++;
			return 0;
		}
		return crash_loop(r, host, env->ts_ns, env->process_crash, offset);
	case HOSTMON__V1__ENVELOPE__EVENT_OOM_KILL:
		return oom_kill(r, host, env->ts_ns, env->oom_kill, offset);
	default:
		return 0;
	}
}

int rules__record(struct rules *r, const Hostmon__V1__Envelope *env, int64_t offset, int live)
{
	const char *host = env->host_id;
	struct host *h;
	int added;

	if (!host || !*host)
		return 0;
	r->live = live;
	r->stats.records++;
	h = strmap__get_or_add(r->hosts, host, &added);
	if (!h)
		return -ENOMEM;
	if (added) {
		snprintf(h->boot_id, sizeof(h->boot_id), "%s", env->boot_id);
		snprintf(h->instance_id, sizeof(h->instance_id), "%s", env->instance_id);
		h->seq = env->seq;
		h->interval_ns = r->cfg.default_interval_ns;
	} else {
		seq_check(r, host, h, env, offset);
	}
	if (env->ts_ns > h->last_ns)
		h->last_ns = env->ts_ns;
	h->last_offset = offset;
	back_from_silence(r, host, h, env->ts_ns, offset);
	agent_state(r, host, h, env, offset);
	return event_rules(r, host, env, offset);
}

struct tick {
	struct rules *r;
	uint64_t now;
	int64_t next_offset;
};

static int host_tick(void *ctx, const char *host, void *value)
{
	struct tick *t = ctx;
	struct rules *r = t->r;
	struct host *h = value;
	uint64_t quiet = t->now > h->last_ns ? t->now - h->last_ns : 0;

	if (quiet >= r->cfg.forget_ns)
		return 1;
	if (quiet < r->cfg.silent_intervals * h->interval_ns)
		return 0;
	if (h->silent == SILENT_NO) {
		h->silent = SILENT_PENDING;
		h->silent_starts_ns = h->last_ns + r->cfg.silent_intervals * h->interval_ns;
		h->silent_sent_ns = t->now;
		silent_alert(r, host, h, 0, t->next_offset);
	} else if (t->now - h->silent_sent_ns >= r->cfg.refresh_ns) {
		h->silent_sent_ns = t->now;
		silent_alert(r, host, h, 0, t->next_offset);
	}
	return 0;
}

/* Crash and OOM state whose window ended long ago. */
static int expired_crashes(void *ctx, const char *key, void *value)
{
	const struct tick *t = ctx;
	const struct crashes *cs = value;
	uint64_t last = cs->n ? cs->ts[(cs->head + cs->n - 1) % RULES_COUNT_MAX] : 0;

	(void)key;
	return last + t->r->cfg.crash_loop_window_ns < t->now;
}

static int expired_ooms(void *ctx, const char *key, void *value)
{
	const struct tick *t = ctx;
	const struct episode *ep = value;

	(void)key;
	return ep->last_ns + t->r->cfg.oom_window_ns < t->now;
}

void rules__tick(struct rules *r, uint64_t now_ns, int64_t next_offset)
{
	struct tick t = { .r = r, .now = now_ns, .next_offset = next_offset };

	r->live = 1;
	strmap__each(r->hosts, host_tick, &t);
	strmap__each(r->crashes, expired_crashes, &t);
	strmap__each(r->ooms, expired_ooms, &t);
}

struct lowest {
	int64_t off;
};

static void lower(struct lowest *l, int64_t off)
{
	if (off >= 0 && (l->off < 0 || off < l->off))
		l->off = off;
}

static int host_lowest(void *ctx, const char *key, void *value)
{
	const struct host *h = value;

	(void)key;
	lower(ctx, h->last_offset);
	if (h->degraded.firing)
		lower(ctx, h->degraded.first_offset);
	if (h->shedding.firing)
		lower(ctx, h->shedding.first_offset);
	return 0;
}

static int crash_lowest(void *ctx, const char *key, void *value)
{
	const struct crashes *cs = value;

	(void)key;
	if (cs->n)
		lower(ctx, cs->offset[cs->head]);
	if (cs->ep.firing)
		lower(ctx, cs->ep.first_offset);
	return 0;
}

static int oom_lowest(void *ctx, const char *key, void *value)
{
	const struct episode *ep = value;

	(void)key;
	lower(ctx, ep->first_offset);
	return 0;
}

int64_t rules__replay_from(struct rules *r)
{
	struct lowest l = { -1 };

	strmap__each(r->hosts, host_lowest, &l);
	strmap__each(r->crashes, crash_lowest, &l);
	strmap__each(r->ooms, oom_lowest, &l);
	return l.off;
}

void rules__silent_sent(struct rules *r, const char *host_id)
{
	struct host *h = strmap__get(r->hosts, host_id);

	if (!h || h->silent == SILENT_SENT)
		return;
	if (h->silent == SILENT_NO) {
		/* from a commit's metadata: sent by the partition's previous owner */
		h->silent_starts_ns = h->last_ns + r->cfg.silent_intervals * h->interval_ns;
		h->silent_sent_ns = h->silent_starts_ns;
	}
	h->silent = SILENT_SENT;
}

struct silent_list {
	char *out;
	size_t len, used, left_out;
};

static int host_silent(void *ctx, const char *host, void *value)
{
	struct silent_list *s = ctx;
	const struct host *h = value;
	size_t n = strlen(host) + (s->used ? 1 : 0);

	if (h->silent != SILENT_SENT)
		return 0;
	if (s->used + n + 1 > s->len) {
		s->left_out++;
		return 0;
	}
	s->used += snprintf(s->out + s->used, s->len - s->used, "%s%s", s->used ? "," : "", host);
	return 0;
}

size_t rules__silent_list(struct rules *r, char *out, size_t len)
{
	struct silent_list s = { .out = out, .len = len };

	if (len)
		out[0] = '\0';
	strmap__each(r->hosts, host_silent, &s);
	return s.left_out;
}

void rules__stats(const struct rules *r, struct rules_stats *out)
{
	*out = r->stats;
	out->hosts = strmap__count(r->hosts);
}
