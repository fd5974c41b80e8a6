/* What a failure of the Kafka sink leaves: the latest error (for /health and the metrics
 * records) and one log line per kind of failure, limited by that kind (core/log's log_limit). */
#ifndef HOSTMON_KAFKA_FAILURE_H
#define HOSTMON_KAFKA_FAILURE_H

struct kafka_sink;

/* The latest error, secrets masked, with its wall-clock time. */
void kafka_failure_note(struct kafka_sink *ks, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A record given up for good (what: "delivery", "queueing a record", ...): counted lost. */
void kafka_failure_lost(struct kafka_sink *ks, const char *what, const char *why);
/* A record kept in the spool after a failure that may pass (the topic may be created). */
void kafka_failure_kept(struct kafka_sink *ks, const char *what, const char *why);
/* A broker-level error (refused, unresolvable, all brokers down): reason names the broker. */
void kafka_failure_broker(struct kafka_sink *ks, const char *reason);
/* A record the spool could not take (-errno err): it is sent unspooled. */
void kafka_failure_spool_write(struct kafka_sink *ks, int err);
/* Reading the spool failed (-errno err): retried in a second. */
void kafka_failure_spool_read(struct kafka_sink *ks, int err);

#endif /* HOSTMON_KAFKA_FAILURE_H */
