/* librdkafka clients of hostmon-alert: their configuration, the by-exe topic, the subscription. */
#ifndef HOSTMON_ALERT_KCLIENT_H
#define HOSTMON_ALERT_KCLIENT_H

#include <librdkafka/rdkafka.h>
#include "service.h"

typedef void (*kclient_dr_fn)(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
typedef void (*kclient_rebalance_fn)(rd_kafka_t *rk, rd_kafka_resp_err_t err,
				     rd_kafka_topic_partition_list_t *list, void *opaque);

/* Idempotent, acks=all; NULL after logging why. */
rd_kafka_t *kclient_producer(const struct service_cfg *cfg, kclient_dr_fn dr, void *opaque);
/* The group's consumer: no auto commit, partition EOF events; NULL after logging why. */
rd_kafka_t *kclient_consumer(const struct service_cfg *cfg, kclient_rebalance_fn cb, void *opaque);
/* Creates topic with partitions when the broker does not have it. 0 or -EIO. */
int kclient_ensure_topic(rd_kafka_t *rk, const char *topic, int partitions);
int kclient_subscribe(rd_kafka_t *rk, const char *events, const char *by_exe);
/* Checks one NAME=VALUE librdkafka property; 0, or -EINVAL with err set. */
int kclient_check_prop(const char *name, const char *value, char *err, size_t errlen);

#endif /* HOSTMON_ALERT_KCLIENT_H */
