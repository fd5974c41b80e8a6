/*
 * The one logger: one logfmt record per line on stderr (time, level,
 * component, error code, message, then the fields naming the thing), libbpf's
 * and librdkafka's output routed through it, identical errors rate-limited
 * with a count.
 */
#ifndef HOSTMON_LOG_H
#define HOSTMON_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include "core/errcode.h"

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* "error", "warn", "info", "debug" ("unknown" out of range). */
const char *log_level_name(enum log_level level);

#define LOG_SECRETS_MAX	16
/* An identical warning or error (level, component, code, message) shows at most once per period. */
#define LOG_REPEAT_PERIOD_NS	(10ULL * 1000000000ULL)
/* Distinct recent warnings and errors remembered for that; the oldest is flushed to make room. */
#define LOG_REPEAT_SLOTS	64

enum log_field_kind { LOG_FIELD_STR = 1, LOG_FIELD_INT, LOG_FIELD_ERRNO };

/* A key=value pair that identifies what failed: probe, topic, path, errno. */
struct log_field {
	const char *key;
	enum log_field_kind kind;
	const char *str;
	long long num;
};

#define LF_STR(k, v)	{ .key = (k), .kind = LOG_FIELD_STR, .str = (v) }
#define LF_INT(k, v)	{ .key = (k), .kind = LOG_FIELD_INT, .num = (long long)(v) }
/* A positive errno value, shown by its name (errno=ENOSPC). */
#define LF_ERRNO(e)	{ .key = "errno", .kind = LOG_FIELD_ERRNO, .num = (long long)(e) }
/* A list of fields for one record; NULL when there are none. */
#define LOG_FIELDS(...)	((const struct log_field[]){ __VA_ARGS__, { 0 } })

/*
 * The repeat limit of one kind of record: the first is shown, then at most one
 * per LOG_REPEAT_PERIOD_NS, those between held back and counted. The logger
 * keeps one for each distinct recent message; a call site whose message varies
 * while the failure stays one kind (a library's reason, figures in the text)
 * owns one and logs through log_limited(). Used by one thread at a time.
 */
struct log_limit {
	uint64_t count;		/* occurrences in all */
	uint64_t held;		/* held back since the last shown */
	uint64_t shown_ns;	/* monotonic, when the last was shown; 0: never */
	uint64_t shown_for;	/* the last shown: itself and the held back before it */
};

/* Since start: records by level and code, and the identical ones held back. */
struct log_counts {
	uint64_t errors;
	uint64_t warnings;
	uint64_t suppressed;
	uint64_t by_code[HM_E_MAX];
};

/* Written by the event loop, read by every thread: only through __atomic builtins. */
extern enum log_level log_current_level;

static inline enum log_level log_level_now(void)
{
	return __atomic_load_n(&log_current_level, __ATOMIC_RELAXED);
}

void log_set_level(enum log_level level);
/* Records go to fd (default 2, stderr), one write(2) each. */
void log_set_fd(int fd);
/* Routes libbpf's messages into the logger (its debug output only at debug level). */
void log_route_libbpf(void);
/*
 * From now on every log line (librdkafka's and libbpf's included) has each
 * occurrence of secret masked: the secrets handed to libraries that log are
 * registered here, from one thread at a time (start-up). 0, -ENOSPC past
 * LOG_SECRETS_MAX, -ENOMEM.
 */
int log_add_secret(const char *secret);
/* Overwrites every occurrence of secret in s with '*', in place. */
void log_mask(char *s, const char *secret);
/* Every registered secret masked in msg, in place: for text shown elsewhere (e.g. /health). */
void log_mask_secrets(char *msg);
/*
 * One record. Warnings and errors carry a code; an identical one (same level,
 * component, code and message: fields may differ, they are figures) within
 * LOG_REPEAT_PERIOD_NS of the last shown is held back. A record shown with
 * repeated=N stands for itself and the N held back before it: every
 * occurrence is in exactly one record's count.
 */
void log_write(enum log_level level, const char *component, enum errcode code,
	       const struct log_field *fields, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/*
 * Shows the latest held-back repeat of each record whose period is over (of
 * all with force), carrying the count of the others: call about once a second
 * and at exit, so no count waits for an identical record that may never come.
 */
void log_flush_repeats(int force);
/*
 * One occurrence of l's warning or error, counted as log_write counts it; true
 * when its record is due (then written with log_write_due), false when held
 * back (counted as suppressed: the next record due says how many it stands for,
 * l->shown_for, nothing shows them before). Use through log_limited().
 */
bool log_limit_due(struct log_limit *l, enum log_level level, enum errcode code);
/* A record its own log_limit found due: shown as it is, neither counted again nor held back. */
void log_write_due(enum log_level level, const char *component, enum errcode code,
		   const struct log_field *fields, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void log_get_counts(struct log_counts *out);

/* No formatting happens when the level is off. */
#define log_at(level, comp, code, fields, ...) \
	do { \
		if ((level) <= log_level_now()) \
			log_write((level), (comp), (code), (fields), __VA_ARGS__); \
	} while (0)
/*
 * A warning or error limited by its call site's l instead of by its text: its
 * arguments are evaluated only when it is due, so they may read l->shown_for
 * and l->count.
 */
#define log_limited(l, level, comp, code, fields, ...) \
	do { \
		if ((level) <= log_level_now() && log_limit_due((l), (level), (code))) \
			log_write_due((level), (comp), (code), (fields), __VA_ARGS__); \
	} while (0)
#define log_error(comp, code, fields, ...) \
	log_at(LOG_LEVEL_ERROR, comp, code, fields, __VA_ARGS__)
#define log_warn(comp, code, fields, ...) \
	log_at(LOG_LEVEL_WARN, comp, code, fields, __VA_ARGS__)
#define log_info(comp, ...)	log_at(LOG_LEVEL_INFO, comp, HM_E_NONE, NULL, __VA_ARGS__)
#define log_debug(comp, ...)	log_at(LOG_LEVEL_DEBUG, comp, HM_E_NONE, NULL, __VA_ARGS__)

#endif /* HOSTMON_LOG_H */
