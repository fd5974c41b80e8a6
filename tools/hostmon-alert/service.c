/* hostmon-alert's Kafka side: group consumer, forwarding producer, rebalances, commits; see service.h. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <librdkafka/rdkafka.h>
#include "alog.h"
#include "kclient.h"
#include "part.h"
#include "service.h"

#define NS		1000000000ULL
#define TICK_NS		(NS / 2)
#define REVOKE_WAIT_MS	5000

/* One effect of one record: an alert for Alertmanager, or a forwarded crash. */
struct effect {
	struct part *p;
	int64_t offset;
	char *silent_host;
};

struct service {
	struct service_cfg cfg;
	rd_kafka_t *consumer;
	rd_kafka_t *producer;
	rd_kafka_topic_t *by_exe;
	struct am *am;
	struct part *parts;	/* assigned */
	struct part *retired;	/* revoked, effects still outstanding */
	int settled;		/* effects became durable since the last commit */
	uint64_t last_commit_ns;
	uint64_t last_tick_ns;
	struct service_stats counts;	/* the event loop's own */
	pthread_mutex_t lock;		/* stats, read by the metrics thread */
	struct service_stats stats;	/* published every tick */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static struct effect *effect_new(struct part *p, int64_t offset, const char *silent_host)
{
	struct effect *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->p = p;
	e->offset = offset;
	if (silent_host && !(e->silent_host = strdup(silent_host))) {
		free(e);
		return NULL;
	}
	if (part__pend(p, offset)) {
		free(e->silent_host);
		free(e);
		return NULL;
	}
	return e;
}

static void retired_sweep(struct service *s)
{
	struct part **pp = &s->retired, *p;

	while ((p = *pp)) {
		if (p->refs) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		part__free(p);
	}
}

static void effect_end(struct service *s, struct effect *e, int durable)
{
	if (durable && e->silent_host && !e->p->retired) {
		rules__silent_sent(e->p->rules, e->silent_host);
		e->p->metadata_changed = 1; /* committed even if the offset stays */
	}
	part__settle(e->p, e->offset);
	s->settled = 1;
	free(e->silent_host);
	free(e);
}

static void am_done(void *ctx, void *token, enum am_outcome outcome)
{
	effect_end(ctx, token, outcome == AM_DELIVERED);
}

/* The rules' callback: an alert caused by the record at offset of partition p. */
static void emit_alert(void *ctx, const struct alert *a, int64_t offset, const char *silent_host)
{
	struct part *p = ctx;
	struct service *s = p->svc;
	struct effect *e = effect_new(p, offset, silent_host);

	if (!e || am__enqueue(s->am, a, p, e)) {
		alog(ALOG_ERROR, "alert", "out of memory queueing %s: not sent", alert_get(a, "alertname"));
		if (e)
			effect_end(s, e, 0);
		return;
	}
	s->counts.alerts++;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct service *s = opaque;
	struct effect *e = m->_private;

	(void)rk;
	if (m->err) {
		/* not durable: produced again (the commit stays before the record meanwhile) */
		s->counts.forward_errors++;
		alog(ALOG_WARN, "kafka", "forward to %s failed: %s; retrying", s->cfg.by_exe_topic,
		     rd_kafka_err2str(m->err));
		if (!rd_kafka_produce(s->by_exe, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, m->payload,
				      m->len, m->key, m->key_len, e))
			return;
		alog(ALOG_ERROR, "kafka", "produce to %s failed: %s: partition %d stays uncommitted at offset %"
		     PRId64 ", read again after a restart", s->cfg.by_exe_topic,
		     rd_kafka_err2str(rd_kafka_last_error()), (int)e->p->id, e->offset);
		e->p->refs--;
		free(e);
		return;
	}
	s->counts.forwarded++;
	effect_end(s, e, 1);
}

static void forward_crash(struct service *s, struct part *p, const rd_kafka_message_t *m,
			  const Hostmon__V1__Envelope *env)
{
	char buf[64];
	const char *key = rules_exe_key(env->process_crash, buf, sizeof(buf));
	struct effect *e = effect_new(p, m->offset, NULL);

	if (!e) {
		s->counts.forward_errors++;
		return;
	}
	if (rd_kafka_produce(s->by_exe, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, m->payload,
			     m->len, key, strlen(key), e) == -1) {
		alog(ALOG_ERROR, "kafka", "produce to %s failed: %s", s->cfg.by_exe_topic,
		     rd_kafka_err2str(rd_kafka_last_error()));
		s->counts.forward_errors++;
		p->refs--;
		free(e);
	}
}

static struct part *part_of(struct service *s, const char *topic, int32_t id)
{
	int by_exe = !strcmp(topic, s->cfg.by_exe_topic);

	for (struct part *p = s->parts; p; p = p->next)
		if (p->id == id && p->by_exe == by_exe)
			return p;
	return NULL;
}

static void handle_record(struct service *s, struct part *p, const rd_kafka_message_t *m)
{
	Hostmon__V1__Envelope *env = hostmon__v1__envelope__unpack(NULL, m->len, m->payload);
	int live = part__live(p, m->offset);

	if (live && p->fence)
		part__apply_fence(p);
	p->next_offset = m->offset + 1;
	p->at_eof = 0;
	s->counts.records++;
	s->counts.replayed += !live;
	if (!env) {
		s->counts.undecodable++;
		alog(ALOG_WARN, "kafka", "%s [%d] offset %" PRId64 ": not a hostmon.v1.Envelope (%zu bytes), skipped",
		     rd_kafka_topic_name(m->rkt), (int)m->partition, m->offset, m->len);
		return;
	}
	if (env->ts_ns > p->stream_ns)
		p->stream_ns = env->ts_ns;
	if (p->by_exe) {
		wave__record(p->wave, env, m->offset, live);
	} else {
		rules__record(p->rules, env, m->offset, live);
		if (env->event_case == HOSTMON__V1__ENVELOPE__EVENT_PROCESS_CRASH) {
			if (env->process_crash->canary)
				s->counts.canary_crashes++;
			else if (live)
				forward_crash(s, p, m, env);
		}
	}
	hostmon__v1__envelope__free_unpacked(env, NULL);
}

/* ---- commits: each partition at its first offset whose effects are not durable ---- */

static void commit(struct service *s)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
	rd_kafka_topic_partition_t *t;
	rd_kafka_resp_err_t err;
	int64_t off;

	for (struct part *p = s->parts; p; p = p->next) {
		off = part__committable(p);
		if (off < 0 || off < p->committed || (off == p->committed && !p->metadata_changed))
			continue;
		t = rd_kafka_topic_partition_list_add(list, p->by_exe ? s->cfg.by_exe_topic : s->cfg.topic, p->id);
		t->offset = off;
		t->metadata = part__metadata(p, off);
		t->metadata_size = t->metadata ? strlen(t->metadata) : 0;
	}
	if (list->cnt) {
		err = rd_kafka_commit(s->consumer, list, 0);
		if (err) {
			s->counts.commit_errors++;
			alog(ALOG_WARN, "kafka", "commit of %d partitions failed: %s (retried)", list->cnt,
			     rd_kafka_err2str(err));
		} else {
			s->counts.commits++;
			for (int i = 0; i < list->cnt; i++) {
				struct part *p = part_of(s, list->elems[i].topic, list->elems[i].partition);

				if (p) {
					p->committed = list->elems[i].offset;
					p->metadata_changed = 0;
				}
			}
		}
	}
	rd_kafka_topic_partition_list_destroy(list);
	s->settled = 0;
	s->last_commit_ns = mono_ns();
}

/* ---- rebalances ---- */

/* Reads each partition's committed offset and metadata; sets where reading starts. */
static int assign_parts(struct service *s, rd_kafka_topic_partition_list_t *list)
{
	rd_kafka_resp_err_t err = rd_kafka_committed(s->consumer, list, 10000);
	int64_t replay;
	struct part *p;

	if (err) {
		alog(ALOG_ERROR, "kafka", "reading committed offsets failed: %s", rd_kafka_err2str(err));
		return -EIO;
	}
	for (int i = 0; i < list->cnt; i++) {
		rd_kafka_topic_partition_t *t = &list->elems[i];
		int by_exe = !strcmp(t->topic, s->cfg.by_exe_topic);

		p = part__new(by_exe, t->partition, &s->cfg.rules, emit_alert, s);
		if (!p)
			return -ENOMEM;
		part__parse_metadata(t->metadata, t->metadata_size, &replay, &p->fence);
		if (t->offset >= 0) {
			p->live_from = t->offset;
			p->committed = t->offset;
			if (replay >= 0 && replay < t->offset)
				t->offset = replay;
		} else {
			t->offset = s->cfg.start_latest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
		}
		alog(ALOG_INFO, "kafka", "assigned %s [%d]: replay from %" PRId64 ", live from %" PRId64,
		     t->topic, (int)t->partition, t->offset, p->live_from);
		p->next = s->parts;
		s->parts = p;
	}
	return 0;
}

/* Gives the effects of the revoked partitions a few seconds, commits, hands the rest back. */
static void revoke_parts(struct service *s)
{
	uint64_t until = mono_ns() + REVOKE_WAIT_MS * 1000000ULL;
	size_t pending;

	do {
		pending = 0;
		rd_kafka_poll(s->producer, 10);
		am__pump(s->am, mono_ns());
		for (struct part *p = s->parts; p; p = p->next)
			pending += p->npend;
	} while (pending && mono_ns() < until);
	commit(s);
	while (s->parts) {
		struct part *p = s->parts;

		s->parts = p->next;
		am__release_owner(s->am, p);
		p->retired = 1;
		p->next = s->retired;
		s->retired = p;
	}
	if (pending)
		alog(ALOG_WARN, "kafka", "partitions revoked with %zu effects not durable: their new owner redoes them",
		     pending);
	retired_sweep(s);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *list, void *opaque)
{
	struct service *s = opaque;

	s->counts.rebalances++;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		if (assign_parts(s, list))
			alog(ALOG_ERROR, "kafka", "assignment failed: partitions read without state");
		rd_kafka_assign(rk, list);
	} else {
		revoke_parts(s);
		rd_kafka_assign(rk, NULL);
	}
}

/* ---- the loop ---- */

static void tick(struct service *s)
{
	uint64_t wall = wall_ns(), ref;

	for (struct part *p = s->parts; p; p = p->next) {
		if (p->live_from >= 0 && (p->next_offset < 0 || !part__live(p, p->next_offset)))
			continue; /* still to replay: the fence waits for the hosts it names */
		if (p->fence)
			part__apply_fence(p);
		ref = part__now(p, wall);
		if (!ref)
			continue;
		if (p->rules)
			rules__tick(p->rules, ref, p->next_offset < 0 ? 0 : p->next_offset);
		else
			wave__tick(p->wave, ref);
	}
}

/* The counters and this moment's gauges, published for the metrics thread. */
static void update_stats(struct service *s)
{
	struct service_stats st = s->counts;
	struct rules_stats rs;
	int64_t lo, hi;

	for (struct part *p = s->parts; p; p = p->next) {
		st.partitions++;
		st.pending += p->refs;
		st.silent_unlisted += p->silent_unlisted;
		if (p->rules) {
			rules__stats(p->rules, &rs);
			st.hosts += rs.hosts;
		}
		if (!rd_kafka_get_watermark_offsets(s->consumer, p->by_exe ? s->cfg.by_exe_topic : s->cfg.topic,
						    p->id, &lo, &hi) && hi > p->next_offset && p->next_offset >= 0)
			st.lag += hi - p->next_offset;
	}
	am__stats(s->am, &st.am);
	pthread_mutex_lock(&s->lock);
	s->stats = st;
	pthread_mutex_unlock(&s->lock);
}

static void consume_one(struct service *s, int timeout_ms)
{
	rd_kafka_message_t *m = rd_kafka_consumer_poll(s->consumer, timeout_ms);
	struct part *p;

	if (!m)
		return;
	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		p = part_of(s, rd_kafka_topic_name(m->rkt), m->partition);
		if (p) {
			p->at_eof = 1;
			if (p->next_offset < m->offset)
				p->next_offset = m->offset;
		}
	} else if (m->err) {
		alog(ALOG_WARN, "kafka", "consumer: %s", rd_kafka_message_errstr(m));
	} else if ((p = part_of(s, rd_kafka_topic_name(m->rkt), m->partition))) {
		handle_record(s, p, m);
	}
	rd_kafka_message_destroy(m);
}

int service__run(struct service *s, const volatile sig_atomic_t *stop)
{
	uint64_t now;

	while (!*stop) {
		/* short polls while alerts wait, so that Alertmanager is tried on time */
		int waiting = am__pump(s->am, mono_ns()) > 0;

		/* what just became durable is committed at once: the window in which
		 * a kill -9 makes the partition's next owner send it again */
		if (s->settled)
			commit(s);
		consume_one(s, waiting ? 10 : 100);
		rd_kafka_poll(s->producer, 0);
		now = mono_ns();
		if (now - s->last_tick_ns >= TICK_NS) {
			s->last_tick_ns = now;
			tick(s);
			update_stats(s);
			retired_sweep(s);
		}
		if (s->settled || now - s->last_commit_ns >= s->cfg.commit_interval_ns)
			commit(s);
	}
	alog(ALOG_INFO, "service", "stopping: delivering what is queued, committing, leaving the group");
	rd_kafka_flush(s->producer, REVOKE_WAIT_MS);
	/* the revocation (revoke_parts) sends what is queued and commits */
	rd_kafka_consumer_close(s->consumer);
	return 0;
}

void service__stats(struct service *s, struct service_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	pthread_mutex_unlock(&s->lock);
}

struct service *service__new(const struct service_cfg *cfg)
{
	struct service *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = *cfg;
	pthread_mutex_init(&s->lock, NULL);
	s->am = am__new(&cfg->am, am_done, s);
	if (!s->am)
		goto fail;
	s->producer = kclient_producer(cfg, dr_cb, s);
	if (!s->producer || kclient_ensure_topic(s->producer, cfg->by_exe_topic, cfg->by_exe_partitions))
		goto fail;
	s->by_exe = rd_kafka_topic_new(s->producer, cfg->by_exe_topic, NULL);
	s->consumer = kclient_consumer(cfg, rebalance_cb, s);
	if (!s->by_exe || !s->consumer || kclient_subscribe(s->consumer, cfg->topic, cfg->by_exe_topic))
		goto fail;
	return s;
fail:
	service__free(s);
	return NULL;
}

void service__free(struct service *s)
{
	if (!s)
		return;
	if (s->consumer)
		rd_kafka_destroy(s->consumer);
	if (s->by_exe)
		rd_kafka_topic_destroy(s->by_exe);
	if (s->producer)
		rd_kafka_destroy(s->producer);
	am__free(s->am, 0);
	while (s->parts) {
		struct part *p = s->parts;

		s->parts = p->next;
		part__free(p);
	}
	while (s->retired) {
		struct part *p = s->retired;

		s->retired = p->next;
		part__free(p);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}
