/* The Kafka sink's failures: the latest error for /health, a log line per kind at most every
 * LOG_REPEAT_PERIOD_NS (core/log's limit) counting the others, records lost counted. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"
#include "core/log.h"
#include "sinks/kafka_failure.h"
#include "sinks/kafka_sink_impl.h"

void kafka_failure_note(struct kafka_sink *ks, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ks->last_error, sizeof(ks->last_error), fmt, ap);
	va_end(ap);
	log_mask_secrets(ks->last_error);
	ks->last_error_ns = clock_ns(CLOCK_REALTIME);
}

void kafka_failure_lost(struct kafka_sink *ks, const char *what, const char *why)
{
	ks->failing = true;
	ks->lost++;
	kafka_failure_note(ks, "%s to topic %s failed: %s", what, ks->topic_name, why);
	log_limited(&ks->lost_log, LOG_LEVEL_ERROR, "kafka", HM_E_KAFKA_RECORD_LOST,
		    LOG_FIELDS(LF_STR("topic", ks->topic_name)),
		    "%s to topic %s failed: %s: record dropped (%llu since the last line, "
		    "%llu records lost in all)", what, ks->topic_name, why,
		    (unsigned long long)ks->lost_log.shown_for, (unsigned long long)ks->lost);
}

void kafka_failure_kept(struct kafka_sink *ks, const char *what, const char *why)
{
	ks->failing = true;
	kafka_failure_note(ks, "%s to topic %s failed: %s", what, ks->topic_name, why);
	log_limited(&ks->topic_errors, LOG_LEVEL_ERROR, "kafka", HM_E_KAFKA_RECORD_RETRY,
		    LOG_FIELDS(LF_STR("topic", ks->topic_name)),
		    "%s to topic %s failed: %s: kept in the spool, sent again "
		    "later (%llu since the last line, %llu in all)", what, ks->topic_name, why,
		    (unsigned long long)ks->topic_errors.shown_for,
		    (unsigned long long)ks->topic_errors.count);
}

void kafka_failure_broker(struct kafka_sink *ks, const char *reason)
{
	log_limited(&ks->broker_errors, LOG_LEVEL_ERROR, "kafka", HM_E_KAFKA_BROKER,
		    LOG_FIELDS(LF_STR("brokers", ks->brokers)),
		    "brokers %s: %s (%llu broker errors since the last line, %llu in all)",
		    ks->brokers, reason, (unsigned long long)ks->broker_errors.shown_for,
		    (unsigned long long)ks->broker_errors.count);
}

/* Writing and reading the spool share one limit: one line per period for both. */
void kafka_failure_spool_write(struct kafka_sink *ks, int err)
{
	log_limited(&ks->spool_failures, LOG_LEVEL_ERROR, "kafka", HM_E_SPOOL_WRITE,
		    LOG_FIELDS(LF_ERRNO(-err)),
		    "spooling a record failed: %s: sent unspooled (%llu spool failures "
		    "since the last line, %llu in all)", strerror(-err),
		    (unsigned long long)ks->spool_failures.shown_for,
		    (unsigned long long)ks->spool_failures.count);
}

void kafka_failure_spool_read(struct kafka_sink *ks, int err)
{
	log_limited(&ks->spool_failures, LOG_LEVEL_ERROR, "kafka", HM_E_SPOOL_READ,
		    LOG_FIELDS(LF_ERRNO(-err)),
		    "reading the spool failed: %s: retried in a second (%llu "
		    "spool failures since the last line)", strerror(-err),
		    (unsigned long long)ks->spool_failures.shown_for);
}
