/* hostmon-alert's rule logic: crash-loop and OOM windows, waves, silent hosts, seq gaps, canaries, replay, commit offsets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tools/hostmon-alert/part.h"
#include "tools/hostmon-alert/rules.h"
#include "tools/hostmon-alert/wave.h"

#define S	1000000000ULL
#define T0	(1800000000ULL * S)	/* a wall-clock time in 2027 */

struct sent {
	struct alert a[32];
	int64_t offset[32];
	char silent[32][64];
	int n;
};

static void collect(void *ctx, const struct alert *a, int64_t offset, const char *silent_host)
{
	struct sent *s = ctx;

	assert_true(s->n < 32);
	s->a[s->n] = *a;
	s->offset[s->n] = offset;
	snprintf(s->silent[s->n], sizeof(s->silent[0]), "%s", silent_host ? silent_host : "");
	s->n++;
}

static struct rules_cfg cfg(void)
{
	struct rules_cfg c;

	rules_cfg_defaults(&c);
	c.crash_loop_count = 3;
	c.crash_loop_window_ns = 60 * S;
	c.wave_hosts = 3;
	c.wave_window_ns = 60 * S;
	c.default_interval_ns = 1 * S;
	return c;
}

/* Each rules test gets its own engine, collecting what it emits. */
struct fx {
	struct rules_cfg c;
	struct sent s;
	struct rules *r;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->c = cfg();
	f->r = rules__new(&f->c, collect, &f->s);
	*state = f;
	return f->r ? 0 : -1;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	rules__free(f->r);
	free(f);
	return 0;
}

/* One envelope of host with seq; the event set by the caller. */
struct rec {
	Hostmon__V1__Envelope env;
	Hostmon__V1__ProcessCrash crash;
	Hostmon__V1__OomKill oom;
	Hostmon__V1__MetricsWindow metrics;
	Hostmon__V1__AgentStatus status;
};

static Hostmon__V1__Envelope *envelope(struct rec *r, const char *host, const char *inst, uint64_t seq,
				       uint64_t ts)
{
	memset(r, 0, sizeof(*r));
	hostmon__v1__envelope__init(&r->env);
	r->env.host_id = (char *)host;
	r->env.boot_id = "boot";
	r->env.instance_id = (char *)inst;
	r->env.seq = seq;
	r->env.ts_ns = ts;
	return &r->env;
}

static Hostmon__V1__Envelope *crash(struct rec *r, const char *host, uint64_t seq, uint64_t ts,
				    const char *exe, uint32_t pid, int canary)
{
	envelope(r, host, "i1", seq, ts);
	hostmon__v1__process_crash__init(&r->crash);
	r->crash.pid = pid;
	r->crash.comm = "app";
	r->crash.exe = (char *)exe;
	r->crash.signal = 11;
	r->crash.signal_name = "SIGSEGV";
	r->crash.core_dumped = 1;
	r->crash.sender_pid = 42;
	r->crash.sender_comm = "killer";
	r->crash.canary = canary;
	r->env.event_case = HOSTMON__V1__ENVELOPE__EVENT_PROCESS_CRASH;
	r->env.process_crash = &r->crash;
	return &r->env;
}

static Hostmon__V1__Envelope *metrics(struct rec *r, const char *host, const char *inst, uint64_t seq,
				      uint64_t ts, int degraded)
{
	envelope(r, host, inst, seq, ts);
	hostmon__v1__metrics_window__init(&r->metrics);
	r->metrics.window_ns = 1 * S;
	r->metrics.state = degraded ? HOSTMON__V1__AGENT_STATE__AGENT_STATE_DEGRADED :
				      HOSTMON__V1__AGENT_STATE__AGENT_STATE_RUNNING;
	r->env.event_case = HOSTMON__V1__ENVELOPE__EVENT_METRICS;
	r->env.metrics = &r->metrics;
	return &r->env;
}

static void expect_label(const struct alert *a, const char *key, const char *want)
{
	const char *got = alert_get(a, key);

	if (!got || strcmp(got, want))
		fail_msg("%s of %s: expected '%s', got '%s'", key, alert_get(a, "alertname"), want,
			 got ? got : "(none)");
}

static void crash_loop_fires_at_the_nth_crash_within_the_window(void **state)
{
	struct fx *f = *state;
	struct rules *r = f->r;
	struct sent *s = &f->s;
	struct rec rec;

	assert_int_equal(rules__record(r, crash(&rec, "h1", 1, T0, "/bin/app", 100, 0), 10, 1), 0);
	assert_int_equal(rules__record(r, crash(&rec, "h1", 2, T0 + 20 * S, "/bin/app", 101, 0), 11, 1), 0);
	assert_int_equal(s->n, 0);
	assert_int_equal(rules__record(r, crash(&rec, "h1", 3, T0 + 40 * S, "/bin/app", 102, 0), 12, 1), 0);
	assert_int_equal(s->n, 1);
	expect_label(&s->a[0], "alertname", "HostmonStreamCrashLoop");
	expect_label(&s->a[0], "host", "h1");
	expect_label(&s->a[0], "exe", "/bin/app");
	expect_label(&s->a[0], "count", "3");
	expect_label(&s->a[0], "first_seen", "2027-01-15T08:00:00.000Z");
	expect_label(&s->a[0], "last_seen", "2027-01-15T08:00:40.000Z");
	expect_label(&s->a[0], "example_pids", "100,101,102");
	expect_label(&s->a[0], "signal", "SIGSEGV");
	expect_label(&s->a[0], "core_dumped", "true");
	expect_label(&s->a[0], "sender", "killer (pid 42)");
	assert_non_null(strstr(alert_get(&s->a[0], "runbook_url"), "stream-alerts.md#crash-loop"));
	assert_int_equal(s->a[0].starts_ns, T0 + 40 * S);
	assert_int_equal(s->a[0].ends_ns, T0 + 100 * S); /* resolves one window after the last crash */
	assert_int_equal(s->offset[0], 12);
	/* a 4th crash soon after: evidence only, not sent again before half a window */
	assert_int_equal(rules__record(r, crash(&rec, "h1", 4, T0 + 41 * S, "/bin/app", 103, 0), 13, 1), 0);
	assert_int_equal(s->n, 1);
}

static void crash_loop_not_when_crashes_spread_past_the_window(void **state)
{
	struct fx *f = *state;
	struct rules *r = f->r;
	struct sent *s = &f->s;
	struct rec rec;

	for (uint64_t i = 0; i < 6; i++)
		assert_int_equal(rules__record(r, crash(&rec, "h1", i + 1, T0 + i * 31 * S, "/bin/app", 100, 0),
					       (int64_t)i, 1), 0);
	assert_int_equal(s->n, 0);
	/* other exes and hosts are counted apart */
	rules__record(r, crash(&rec, "h1", 7, T0 + 200 * S, "/bin/a", 1, 0), 7, 1);
	rules__record(r, crash(&rec, "h1", 8, T0 + 201 * S, "/bin/b", 1, 0), 8, 1);
	rules__record(r, crash(&rec, "h2", 1, T0 + 202 * S, "/bin/a", 1, 0), 9, 1);
	assert_int_equal(s->n, 0);
}

static void canary_crashes_never_alert(void **state)
{
	struct fx *f = *state;
	struct rules *r = f->r;
	struct sent *s = &f->s;
	struct rules_stats st;
	struct rec rec;

	for (uint64_t i = 0; i < 10; i++)
		rules__record(r, crash(&rec, "h1", i + 1, T0 + i * S, "/usr/bin/hostmonctl", 100 + i, 1),
			      (int64_t)i, 1);
	rules__stats(r, &st);
	assert_int_equal(s->n, 0);
	assert_int_equal(st.canary_crashes, 10);
}

static void replayed_records_rebuild_state_and_emit_nothing(void **state)
{
	struct fx *f = *state;
	struct rules *r = f->r;
	struct sent *s = &f->s;
	struct rec rec;

	/* a loop that fired before the committed offset: its alert is not sent again */
	for (uint64_t i = 0; i < 3; i++)
		rules__record(r, crash(&rec, "h1", i + 1, T0 + i * S, "/bin/app", 100 + i, 0), (int64_t)i, 0);
	assert_int_equal(s->n, 0);
	/* two replayed crashes of another exe, a third live one: the loop is seen */
	rules__record(r, crash(&rec, "h1", 4, T0 + 4 * S, "/bin/other", 1, 0), 3, 0);
	rules__record(r, crash(&rec, "h1", 5, T0 + 5 * S, "/bin/other", 2, 0), 4, 0);
	rules__record(r, crash(&rec, "h1", 6, T0 + 6 * S, "/bin/other", 3, 0), 5, 1);
	assert_int_equal(s->n, 1);
	expect_label(&s->a[0], "exe", "/bin/other");
	assert_int_equal(rules__replay_from(r), 0); /* the first loop's first crash still counts */
}

static void seq_gap_and_duplicates(void **state)
{
	struct fx *f = *state;
	struct rules *r = f->r;
	struct sent *s = &f->s;
	struct rules_stats st;
	struct rec rec;

	rules__record(r, metrics(&rec, "h1", "i1", 1, T0, 0), 0, 1);
	rules__record(r, metrics(&rec, "h1", "i1", 2, T0 + S, 0), 1, 1);
	rules__record(r, metrics(&rec, "h1", "i1", 5, T0 + 2 * S, 0), 2, 1);
	assert_int_equal(s->n, 1);
	expect_label(&s->a[0], "alertname", "HostmonStreamRecordsLost");
	assert_non_null(strstr(alert_get(&s->a[0], "summary"), "2 records lost"));
	assert_non_null(strstr(alert_get(&s->a[0], "summary"), "seq 3 to 4"));
	assert_int_equal(s->a[0].ends_ns, T0 + 2 * S + f->c.lost_hold_ns);
	rules__record(r, metrics(&rec, "h1", "i1", 5, T0 + 3 * S, 0), 3, 1);
	rules__record(r, metrics(&rec, "h1", "i1", 4, T0 + 3 * S, 0), 4, 1);
	rules__stats(r, &st);
	assert_int_equal(st.duplicates, 2);
	assert_int_equal(s->n, 1);
}

static void restart_and_records_lost_at_start(void **state)
{
	struct fx *f = *state;
	struct rules *r = f->r;
	struct sent *s = &f->s;
	struct rec rec;

	rules__record(r, metrics(&rec, "h1", "i1", 7, T0, 0), 0, 1);
	rules__record(r, metrics(&rec, "h1", "i2", 1, T0 + S, 0), 1, 1);
	assert_int_equal(s->n, 1);
	expect_label(&s->a[0], "alertname", "HostmonStreamAgentRestarted");
	rules__record(r, metrics(&rec, "h1", "i3", 4, T0 + 2 * S, 0), 2, 1);
	assert_int_equal(s->n, 3);
	expect_label(&s->a[2], "alertname", "HostmonStreamRecordsLost");
	assert_non_null(strstr(alert_get(&s->a[2], "summary"), "3 records lost"));
}

static void silent_host_after_three_intervals_then_resolved(void **state)
{
	struct fx *f = *state;
	struct rules *r = f->r;
	struct sent *s = &f->s;
	char list[64];
	struct rec rec;

	rules__record(r, metrics(&rec, "h1", "i1", 1, T0 + 10 * S, 0), 5, 1);
	rules__tick(r, T0 + 12 * S + S / 2, 6);
	assert_int_equal(s->n, 0);
	rules__tick(r, T0 + 13 * S, 6);
	assert_int_equal(s->n, 1);
	expect_label(&s->a[0], "alertname", "HostmonStreamHostSilent");
	expect_label(&s->a[0], "severity", "critical");
	expect_label(&s->a[0], "last_seen", "2027-01-15T08:00:10.000Z");
	assert_int_equal(s->a[0].starts_ns, T0 + 13 * S);
	assert_int_equal(s->a[0].ends_ns, 0);
	assert_string_equal(s->silent[0], "h1");
	assert_int_equal(s->offset[0], 6);
	/* not in the commit's list until delivered */
	assert_int_equal(rules__silent_list(r, list, sizeof(list)), 0);
	assert_string_equal(list, "");
	rules__silent_sent(r, "h1");
	rules__silent_list(r, list, sizeof(list));
	assert_string_equal(list, "h1");
	rules__tick(r, T0 + 14 * S, 6);
	assert_int_equal(s->n, 1); /* not sent again before refresh */
	rules__record(r, metrics(&rec, "h1", "i1", 2, T0 + 20 * S, 0), 6, 1);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->a[1].starts_ns, T0 + 13 * S);
	assert_int_equal(s->a[1].ends_ns, T0 + 20 * S);
}

static void silent_host_sent_by_the_previous_owner_not_sent_again(void **state)
{
	struct fx *f = *state;
	struct rules *r = f->r;
	struct sent *s = &f->s;
	struct rec rec;

	rules__record(r, metrics(&rec, "h1", "i1", 1, T0, 0), 0, 0);
	rules__record(r, metrics(&rec, "h2", "i1", 1, T0, 0), 1, 0);
	rules__silent_sent(r, "h1"); /* the committed metadata's list */
	rules__tick(r, T0 + 5 * S, 2);
	assert_int_equal(s->n, 1);
	expect_label(&s->a[0], "host", "h2");
}

static void silent_list_counts_hosts_it_cannot_hold(void **state)
{
	struct fx *f = *state;
	struct rules *r = f->r;
	struct rec rec;
	char list[32];

	rules__record(r, metrics(&rec, "host-aaaaaaaa", "i1", 1, T0, 0), 0, 1);
	rules__record(r, metrics(&rec, "host-bbbbbbbb", "i1", 1, T0, 0), 1, 1);
	rules__silent_sent(r, "host-aaaaaaaa");
	rules__silent_sent(r, "host-bbbbbbbb");
	/* Room for one name only, then for both. */
	assert_int_equal(rules__silent_list(r, list, 24), 1);
	assert_int_equal(strlen(list), strlen("host-aaaaaaaa"));
	assert_int_equal(rules__silent_list(r, list, 28), 0);
	assert_int_equal(strlen(list), 27);
}

static void oom_kills_per_container(void **state)
{
	struct fx *f = *state;
	struct rules *r = f->r;
	struct sent *s = &f->s;
	struct rec rec;

	envelope(&rec, "h1", "i1", 1, T0);
	hostmon__v1__oom_kill__init(&rec.oom);
	rec.oom.pid = 7;
	rec.oom.comm = "hog";
	rec.oom.container_id = "c1";
	rec.env.event_case = HOSTMON__V1__ENVELOPE__EVENT_OOM_KILL;
	rec.env.oom_kill = &rec.oom;
	rules__record(r, &rec.env, 0, 1);
	rec.env.seq = 2;
	rec.oom.container_id = "c2";
	rules__record(r, &rec.env, 1, 1);
	assert_int_equal(s->n, 2);
	expect_label(&s->a[0], "container", "c1");
	expect_label(&s->a[1], "container", "c2");
	expect_label(&s->a[1], "example_pids", "7");
}

static void degraded_agent_fires_and_resolves(void **state)
{
	struct fx *f = *state;
	struct rules *r = f->r;
	struct sent *s = &f->s;
	struct rec rec;

	rules__record(r, metrics(&rec, "h1", "i1", 1, T0, 0), 0, 1);
	rules__record(r, metrics(&rec, "h1", "i1", 2, T0 + S, 1), 1, 1);
	rules__record(r, metrics(&rec, "h1", "i1", 3, T0 + 2 * S, 1), 2, 1);
	assert_int_equal(s->n, 1);
	expect_label(&s->a[0], "alertname", "HostmonStreamAgentDegraded");
	assert_int_equal(s->a[0].ends_ns, 0);
	rules__record(r, metrics(&rec, "h1", "i1", 4, T0 + 3 * S, 0), 3, 1);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->a[1].starts_ns, T0 + S);
	assert_int_equal(s->a[1].ends_ns, T0 + 3 * S);
}

static void shedding_agent_fires_and_resolves(void **state)
{
	struct fx *f = *state;
	struct rules *r = f->r;
	struct sent *s = &f->s;
	Hostmon__V1__AgentSelf self = HOSTMON__V1__AGENT_SELF__INIT;
	struct rec rec;

	self.shed_level = "slow_syscall";
	metrics(&rec, "h1", "i1", 1, T0, 0)->metrics->self = &self;
	rules__record(r, &rec.env, 0, 1);
	assert_int_equal(s->n, 1);
	expect_label(&s->a[0], "alertname", "HostmonStreamAgentShedding");
	assert_non_null(strstr(alert_get(&s->a[0], "summary"), "shedding slow_syscall"));
	self.shed_level = "none";
	metrics(&rec, "h1", "i1", 2, T0 + S, 0)->metrics->self = &self;
	rules__record(r, &rec.env, 1, 1);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->a[1].ends_ns, T0 + S);
}

static void wave_needs_k_distinct_hosts_within_the_window(void **state)
{
	struct rules_cfg c = cfg();
	struct sent s = { 0 };
	struct wave *w = wave__new(&c, collect, &s);
	struct rec rec;

	(void)state;
	wave__record(w, crash(&rec, "h1", 1, T0, "/bin/app", 1, 0), 0, 1);
	wave__record(w, crash(&rec, "h1", 2, T0 + S, "/bin/app", 2, 0), 1, 1);
	wave__record(w, crash(&rec, "h1", 2, T0 + S, "/bin/app", 2, 0), 2, 1); /* forwarded twice */
	wave__record(w, crash(&rec, "h2", 1, T0 + 2 * S, "/bin/app", 3, 0), 3, 1);
	assert_int_equal(s.n, 0);
	/* h3 after h1's crashes left the window: still two hosts */
	wave__record(w, crash(&rec, "h3", 1, T0 + 61 * S + S / 2, "/bin/app", 4, 0), 4, 1);
	assert_int_equal(s.n, 0);
	wave__record(w, crash(&rec, "h4", 1, T0 + 62 * S, "/bin/app", 5, 0), 5, 1);
	assert_int_equal(s.n, 1);
	expect_label(&s.a[0], "alertname", "HostmonStreamCrashWave");
	expect_label(&s.a[0], "exe", "/bin/app");
	expect_label(&s.a[0], "hosts", "3");
	assert_int_equal(s.a[0].ends_ns, T0 + 122 * S);
	wave__free(w);
}

static void commit_offset_waits_for_pending_effects(void **state)
{
	struct rules_cfg c = cfg();
	struct sent s = { 0 };
	struct part *p = part__new(0, 3, &c, collect, &s);
	int64_t replay;
	char *md, *fence;

	(void)state;
	p->next_offset = 10;
	assert_int_equal(part__committable(p), 10);
	assert_int_equal(part__pend(p, 4), 0);
	assert_int_equal(part__pend(p, 4), 0);
	assert_int_equal(part__pend(p, 7), 0);
	assert_int_equal(part__committable(p), 4);
	part__settle(p, 7);
	assert_int_equal(part__committable(p), 4);
	part__settle(p, 4);
	assert_int_equal(part__committable(p), 4);
	part__settle(p, 4);
	assert_int_equal(part__committable(p), 10);
	assert_int_equal(p->refs, 0);
	md = part__metadata(p, 10);
	part__parse_metadata(md, strlen(md), &replay, &fence);
	assert_int_equal(replay, 10);
	assert_null(fence);
	free(md);
	part__parse_metadata("hostmon-alert/1 replay=3 silent=a,b", 35, &replay, &fence);
	assert_int_equal(replay, 3);
	assert_string_equal(fence, "a,b");
	free(fence);
	part__parse_metadata("other", 5, &replay, &fence);
	assert_int_equal(replay, -1);
	part__free(p);
}

static void silence_judged_by_the_backlog_time_until_caught_up(void **state)
{
	struct rules_cfg c = cfg();
	struct sent s = { 0 };
	struct part *p = part__new(0, 0, &c, collect, &s);

	(void)state;
	p->stream_ns = T0;
	assert_int_equal(part__now(p, T0 + 3600 * S), T0); /* reading a backlog an hour old */
	p->at_eof = 1;
	assert_int_equal(part__now(p, T0 + 3600 * S), T0 + 3600 * S);
	assert_int_equal(part__now(p, T0 - S), T0); /* a clock behind the records */
	part__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(crash_loop_fires_at_the_nth_crash_within_the_window, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(crash_loop_not_when_crashes_spread_past_the_window, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(canary_crashes_never_alert, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(replayed_records_rebuild_state_and_emit_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(seq_gap_and_duplicates, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(restart_and_records_lost_at_start, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(silent_host_after_three_intervals_then_resolved, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(silent_host_sent_by_the_previous_owner_not_sent_again, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(silent_list_counts_hosts_it_cannot_hold, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(oom_kills_per_container, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(degraded_agent_fires_and_resolves, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(shedding_agent_fires_and_resolves, fx_setup, fx_teardown),
		cmocka_unit_test(wave_needs_k_distinct_hosts_within_the_window),
		cmocka_unit_test(commit_offset_waits_for_pending_effects),
		cmocka_unit_test(silence_judged_by_the_backlog_time_until_caught_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
