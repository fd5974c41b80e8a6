/* /health on the stats socket: the state and why, the probe families, the kernel, memory, workloads, config, Kafka. */
#ifndef HOSTMON_DAEMON_HEALTH_H
#define HOSTMON_DAEMON_HEALTH_H

#include <json-c/json.h>

struct daemon;
struct family_set;

/* {"<family>": {"state", "error" when failed, "path" when it has one}, ...} in the list's order. */
struct json_object *health_probes(const struct family_set *set);
/* Hands the stats socket a new snapshot of /health (no socket: nothing). */
void health_publish(struct daemon *d);
/*
 * /health's kafka figures between windows: republished when the broker
 * acknowledged or lost records or the sink's state changed since the last.
 */
void health_publish_kafka_progress(struct daemon *d);

#endif /* HOSTMON_DAEMON_HEALTH_H */
