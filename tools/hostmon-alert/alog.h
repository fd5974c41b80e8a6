/* hostmon-alert's one logger: one logfmt record per line on stderr, gated by level. */
#ifndef HOSTMON_ALERT_ALOG_H
#define HOSTMON_ALERT_ALOG_H

enum alog_level { ALOG_ERROR, ALOG_WARN, ALOG_INFO, ALOG_DEBUG };

extern enum alog_level alog_level;

/* 0, or -EINVAL for a name other than error, warn, info, debug. */
int alog_set_level(const char *name);
void alog_write(enum alog_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* No formatting at all when the level is off. */
#define alog(level, component, ...)						\
	do {									\
		if ((level) <= alog_level)					\
			alog_write((level), (component), __VA_ARGS__);		\
	} while (0)

#endif /* HOSTMON_ALERT_ALOG_H */
