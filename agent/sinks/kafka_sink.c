/* Kafka sink: packs records as envelopes and stages them in the spool (or sends them
 * without one), commits and polls; its parts: kafka_sink_impl.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"
#include "core/log.h"
#include "record/record.h"
#include "sinks/inflight.h"
#include "sinks/kafka_failure.h"
#include "sinks/kafka_handoff.h"
#include "sinks/kafka_producer.h"
#include "sinks/kafka_sink.h"
#include "sinks/kafka_sink_impl.h"
#include "sinks/spool.h"

/* The event loop's sleep while spooled records wait for room. */
#define BACKLOG_WAIT_MS		100

struct kafka_sink *kafka_sink__new(const char *brokers, const char *topic, const char *key,
				   const struct envelope_ids *ids, struct spool *spool,
				   const struct kafka_conf *kc, char *err, size_t errlen)
{
	struct kafka_sink *ks = calloc(1, sizeof(*ks));

	if (ks) {
		ks->spool = spool;
		ks->kc = *kc;
	}
	if (!ks || !(ks->inflight = inflight__new()) || !(ks->key = strdup(key)) ||
	    !(ks->brokers = strdup(brokers)) ||
	    !(ks->topic_name = strdup(topic)) || !(ks->ids.instance_id = strdup(ids->instance_id)) ||
	    !(ks->ids.agent_version = strdup(ids->agent_version))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (kafka_producer_open(ks, err, errlen))
		goto fail;
	kafka_handoff_pump(ks);	/* what an earlier run left in the spool goes first */
	return ks;
fail:
	kafka_sink__free(ks);
	errno = EINVAL;
	return NULL;
}

/* With a spool: produces the backlog while waiting, until nothing is left or the time is up. */
static void drain_spool(struct kafka_sink *ks, int timeout_ms)
{
	uint64_t end = clock_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000ULL;
	struct spool_stats st;

	do {
		kafka_sink__poll(ks);
		spool__stats(ks->spool, &st);
		if (!st.records || !ks->rk)
			break;
		if (ks->rk)
			rd_kafka_poll(ks->rk, 50);
	} while (clock_ns(CLOCK_MONOTONIC) < end);
	if (st.records)
		log_warn("kafka", HM_E_KAFKA_UNDELIVERED_AT_STOP, LOG_FIELDS(LF_STR("topic", ks->topic_name)),
			 "%llu records not delivered to %s within %d ms: kept in the spool "
			 "for the next start", (unsigned long long)st.records, ks->topic_name,
			 timeout_ms);
}

void kafka_sink__close(struct kafka_sink *ks, int timeout_ms)
{
	int left;

	if (!ks)
		return;
	if (ks->spool) {
		drain_spool(ks, timeout_ms);
	} else if (ks->rk) {
		rd_kafka_flush(ks->rk, timeout_ms);
		left = rd_kafka_outq_len(ks->rk);
		if (left > 0) {
			ks->lost += (uint64_t)left;
			log_error("kafka", HM_E_KAFKA_LOST_AT_STOP, LOG_FIELDS(LF_STR("topic", ks->topic_name)),
				  "%d records not delivered to %s within %d ms: lost", left,
				  ks->topic_name, timeout_ms);
		}
	}
	log_info("kafka", "%llu records delivered, %llu lost", (unsigned long long)ks->delivered,
		 (unsigned long long)ks->lost);
}

void kafka_sink__free(struct kafka_sink *ks)
{
	if (!ks)
		return;
	kafka_producer_close(ks);
	inflight__free(ks->inflight);
	free(ks->key);
	free(ks->brokers);
	free(ks->topic_name);
	free((char *)ks->ids.instance_id);
	free((char *)ks->ids.agent_version);
	free(ks->pack_buf);
	free(ks);
}

/* rec's envelope, with this instance's ids, packed into the sink's buffer (reused). */
static int pack(struct kafka_sink *ks, const struct record *rec, size_t *len)
{
	Hostmon__V1__Envelope env = rec->env;
	uint8_t *grown;

	if (rec->arena.failed)
		return -ENOMEM;
	env.instance_id = (char *)ks->ids.instance_id;
	env.agent_version = (char *)ks->ids.agent_version;
	*len = hostmon__v1__envelope__get_packed_size(&env);
	if (*len > ks->pack_cap) {
		grown = realloc(ks->pack_buf, *len);
		if (!grown)
			return -ENOMEM;
		ks->pack_buf = grown;
		ks->pack_cap = *len;
	}
	hostmon__v1__envelope__pack(&env, ks->pack_buf);
	return 0;
}

int kafka_sink__write(struct kafka_sink *ks, const struct record *rec)
{
	/* The spool header carries what delivery reports and replays need: no decode. */
	const struct spool_meta meta = { .kind = rec->kind, .seq = rec->seq, .ts_ns = rec->ts_ns };
	size_t len;
	int err;

	err = pack(ks, rec, &len);
	if (err) {
		kafka_failure_lost(ks, "encoding a record", strerror(-err));
		return err;
	}
	/* A record the spool cannot take still goes to Kafka, only without the safety net. */
	if (ks->spool) {
		err = len > SPOOL_RECORD_MAX ? -EMSGSIZE :
		      spool__stage(ks->spool, &meta, ks->pack_buf, (uint32_t)len, NULL);
		if (!err)
			return 0;
		kafka_failure_spool_write(ks, err);
	}
	err = kafka_handoff_bare(ks, &meta, ks->pack_buf, len);
	kafka_sink__poll(ks);
	return err;
}

void kafka_sink__commit(struct kafka_sink *ks)
{
	if (!ks)
		return;
	/* Records it could not write went out unspooled, each counted (kafka_handoff_unwritten). */
	if (ks->spool && spool__commit(ks->spool, kafka_handoff_unwritten, ks))
		log_debug("kafka", "a spool commit failed: its records were sent unspooled");
	kafka_handoff_pump(ks);
}

void kafka_sink__poll(struct kafka_sink *ks)
{
	if (!ks)
		return;
	if (ks->rk)
		rd_kafka_poll(ks->rk, 0);
	if (ks->fatal && clock_ns(CLOCK_MONOTONIC) >= ks->retry_at_ns)
		kafka_producer_recreate(ks);
	kafka_sink__commit(ks);
}

int kafka_sink__wait_ms(const struct kafka_sink *ks)
{
	struct spool_stats st = { 0 };

	if (!ks)
		return -1;
	if (ks->spool)
		spool__stats(ks->spool, &st);
	return ks->blocked || ks->fatal || st.staged ? BACKLOG_WAIT_MS : -1;
}
