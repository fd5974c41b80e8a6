/*
 * The Kafka side of hostmon-alert: one consumer in the group reading the
 * events topic and the internal by-exe topic, a producer forwarding crashes
 * to the by-exe topic, rule state per assigned partition (rebuilt by
 * replaying from the committed offset's metadata), and offsets committed
 * only once the effects of the records before them are durable.
 */
#ifndef HOSTMON_ALERT_SERVICE_H
#define HOSTMON_ALERT_SERVICE_H

#include <signal.h>
#include <stdint.h>
#include "am.h"
#include "rules.h"

struct service_cfg {
	char brokers[512];
	char topic[256];
	char by_exe_topic[256];
	char group_id[256];
	int by_exe_partitions;	/* when hostmon-alert creates the by-exe topic */
	int start_latest;	/* a partition without a committed offset starts at its end */
	uint64_t commit_interval_ns;
	char **props;		/* librdkafka NAME=VALUE, both clients */
	int nprops;
	struct rules_cfg rules;
	struct am_cfg am;
};

struct service_stats {
	uint64_t records;	/* read, replayed ones included */
	uint64_t replayed;	/* read to rebuild state (before the committed offset) */
	uint64_t undecodable;
	uint64_t canary_crashes;
	uint64_t forwarded;	/* crashes produced to the by-exe topic */
	uint64_t forward_errors;
	uint64_t alerts;	/* alerts queued for Alertmanager */
	uint64_t commits;
	uint64_t commit_errors;
	uint64_t rebalances;
	uint64_t partitions;	/* assigned now, both topics */
	uint64_t lag;		/* records behind the high watermarks, both topics */
	uint64_t hosts;
	uint64_t pending;	/* effects not yet durable */
	uint64_t silent_unlisted; /* silent hosts alerted on, left out of the commit metadata */
	struct am_stats am;
};

struct service;

struct service *service__new(const struct service_cfg *cfg);
void service__free(struct service *s);
/* Runs until *stop; 0, or -errno on a fatal Kafka error. */
int service__run(struct service *s, const volatile sig_atomic_t *stop);
/* A snapshot, safe from another thread (the metrics server). */
void service__stats(struct service *s, struct service_stats *out);

#endif /* HOSTMON_ALERT_SERVICE_H */
