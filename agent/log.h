/* The one logger: leveled lines on stderr, libbpf's output routed through it. */
#ifndef HOSTMON_LOG_H
#define HOSTMON_LOG_H

#include "config.h"

#define LOG_SECRETS_MAX	16

/* Written by the event loop, read by every thread: only through __atomic builtins. */
extern enum log_level log_current_level;

static inline enum log_level log_level_now(void)
{
	return __atomic_load_n(&log_current_level, __ATOMIC_RELAXED);
}

void log_set_level(enum log_level level);
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
void log_write(enum log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* No formatting happens when the level is off. */
#define log_at(level, comp, ...) \
	do { \
		if ((level) <= log_level_now()) \
			log_write((level), (comp), __VA_ARGS__); \
	} while (0)
#define log_error(comp, ...)	log_at(LOG_LEVEL_ERROR, comp, __VA_ARGS__)
#define log_warn(comp, ...)	log_at(LOG_LEVEL_WARN, comp, __VA_ARGS__)
#define log_info(comp, ...)	log_at(LOG_LEVEL_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...)	log_at(LOG_LEVEL_DEBUG, comp, __VA_ARGS__)

#endif /* HOSTMON_LOG_H */
