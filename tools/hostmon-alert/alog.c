/* logfmt records: ts, level, component, msg (quoted, escaped). One write(2) each. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "alog.h"

enum alog_level alog_level = ALOG_INFO;

static const char *const names[] = { "error", "warn", "info", "debug" };

int alog_set_level(const char *name)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i])) {
			alog_level = (enum alog_level)i;
			return 0;
		}
	return -EINVAL;
}

void alog_write(enum alog_level level, const char *component, const char *fmt, ...)
{
	char msg[1024], line[2300], stamp[32];
	struct timespec ts;
	struct tm tm;
	size_t n, j = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (!strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm))
		stamp[0] = '\0';
	n = snprintf(line, sizeof(line), "ts=%s.%03ldZ level=%s component=%s msg=\"", stamp,
		     ts.tv_nsec / 1000000, names[level], component);
	for (; msg[j] && n < sizeof(line) - 4; j++) {
		if (msg[j] == '"' || msg[j] == '\\')
			line[n++] = '\\';
		line[n++] = msg[j] == '\n' ? ' ' : msg[j];
	}
	line[n++] = '"';
	line[n++] = '\n';
	if (write(2, line, n) < 0)
		return; /* nowhere left to report it */
}
