/* The Kafka sink's spool handoff: records produced from the spool in order while librdkafka
 * takes them (those of an earlier run first), and records the spool could not take sent without it. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"
#include "record/envelope.h"
#include "sinks/kafka_failure.h"
#include "sinks/kafka_handoff.h"
#include "sinks/kafka_producer.h"
#include "sinks/kafka_sink_impl.h"

/*
 * A record outside the spool (librdkafka copies it), this instance's; a
 * refusal is a loss. Its slot carries seq and kind to the delivery report
 * (without memory for one the record goes all the same, counted delivered
 * only).
 */
int kafka_handoff_bare(struct kafka_sink *ks, const struct spool_meta *meta,
			const uint8_t *payload, size_t len)
{
	struct inflight_msg m = { .seq = meta->seq, .kind = meta->kind, .mine = true };
	void *slot = ks->rk ? inflight__put(ks->inflight, &m) : NULL;
	rd_kafka_resp_err_t err;

	if (ks->rk && !rd_kafka_produce(ks->topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
					(void *)payload, len, ks->key, strlen(ks->key), slot))
		return 0;
	err = ks->rk ? rd_kafka_last_error() : RD_KAFKA_RESP_ERR__STATE;
	inflight__take(ks->inflight, slot, &m);
	kafka_failure_lost(ks, "queueing a record", rd_kafka_err2str(err));
	return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? -ENOBUFS : -EIO;
}

/* A record the spool took but could not write: sent without it, as when staging fails. */
void kafka_handoff_unwritten(void *ctx, const struct spool_record *rec, int err)
{
	struct kafka_sink *ks = ctx;

	kafka_failure_spool_write(ks, err);
	(void)kafka_handoff_bare(ks, &rec->meta, rec->payload, rec->len);
}

/*
 * A record's ts_ns from its spool header; an "HMS1" record (spooled before
 * an upgrade) has it only in its envelope: 0 when that does not decode.
 */
uint64_t kafka_handoff_ts_ns(const struct spool_record *rec)
{
	struct envelope_head h;

	if (!(rec->flags & SPOOL_REC_V1))
		return rec->meta.ts_ns;
	return envelope_head(rec->payload, rec->len, &h) ? 0 : h.ts_ns;
}

/*
 * A spooled record to librdkafka (which copies it; the spool's memory is
 * reused at once). 0: taken, or given up for good (counted lost,
 * acknowledged); -EAGAIN: refused for now (queue full: backpressure;
 * unknown topic, no memory for its slot: retried in a second), still spooled.
 */
static int produce_spooled(struct kafka_sink *ks, const struct spool_record *rec)
{
	struct inflight_msg m = {
		.pos = rec->pos, .seq = rec->meta.seq, .kind = rec->meta.kind,
		.mine = !(rec->flags & SPOOL_REC_REPLAYED),
	};
	void *slot = inflight__put(ks->inflight, &m);
	rd_kafka_resp_err_t err;

	if (!slot) {
		ks->retry_at_ns = clock_ns(CLOCK_MONOTONIC) + KAFKA_RETRY_NS;
		kafka_failure_kept(ks, "queueing a record", strerror(ENOMEM));
		return -EAGAIN;
	}
	/* The record's own time as the message's: consumers and the latency see it.
	 * 0 (not known): librdkafka stamps the message. */
	err = rd_kafka_producev(ks->rk, RD_KAFKA_V_RKT(ks->topic),
				RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_VALUE((void *)rec->payload, rec->len),
				RD_KAFKA_V_KEY(ks->key, strlen(ks->key)),
				RD_KAFKA_V_TIMESTAMP((int64_t)(kafka_handoff_ts_ns(rec) / 1000000)),
				RD_KAFKA_V_OPAQUE(slot), RD_KAFKA_V_END);
	if (!err) {
		ks->in_flight++;
		return 0;
	}
	inflight__take(ks->inflight, slot, &m);
	if (kafka_producer_permanent(err)) {
		kafka_failure_lost(ks, "queueing a record", rd_kafka_err2str(err));
		spool__ack(ks->spool, &rec->pos);
		return 0;
	}
	if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
		ks->retry_at_ns = clock_ns(CLOCK_MONOTONIC) + KAFKA_RETRY_NS;
		kafka_failure_kept(ks, "queueing a record", rd_kafka_err2str(err));
	}
	return -EAGAIN;
}

/*
 * After a retriable failure the stream starts again at the oldest record
 * not acknowledged, once nothing is in flight (so the order holds); records
 * delivered meanwhile are skipped by the spool or counted once if sent twice.
 */
static bool may_produce(struct kafka_sink *ks)
{
	if (!ks->spool || !ks->rk || clock_ns(CLOCK_MONOTONIC) < ks->retry_at_ns)
		return false;
	if (!ks->resend)
		return true;
	if (ks->in_flight)
		return false;
	memset(&ks->cur, 0, sizeof(ks->cur));
	ks->resend = false;
	return true;
}

/* Produces spooled records from the cursor, in order, while librdkafka takes them. */
void kafka_handoff_pump(struct kafka_sink *ks)
{
	struct spool_record rec;
	int err;

	/* Something waits whenever producing is held back: the loop comes back for it. */
	if (!may_produce(ks)) {
		ks->blocked = ks->spool != NULL;
		return;
	}
	while (!(err = spool__read(ks->spool, &ks->cur, &rec))) {
		if (produce_spooled(ks, &rec)) {
			ks->blocked = true;
			return;
		}
		spool__advance(&ks->cur, &rec);
	}
	ks->blocked = false;
	if (err != -ENOENT) {
		ks->blocked = true;
		ks->retry_at_ns = clock_ns(CLOCK_MONOTONIC) + KAFKA_RETRY_NS;
		kafka_failure_spool_read(ks, err);
	}
}
