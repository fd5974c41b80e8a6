/* Log lines: "<time> <level> <component>: message" on stderr, one write per line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "log.h"

enum log_level log_current_level = LOG_LEVEL_INFO;

/* Appended only: an entry is written before the count that publishes it, so
 * threads logging meanwhile read whole strings without a lock. */
static char *log_secrets[LOG_SECRETS_MAX];
static unsigned int log_nsecrets;

int log_add_secret(const char *secret)
{
	unsigned int n = __atomic_load_n(&log_nsecrets, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(log_secrets[i], secret))
			return 0;
	if (n == LOG_SECRETS_MAX)
		return -ENOSPC;
	log_secrets[n] = strdup(secret);
	if (!log_secrets[n])
		return -ENOMEM;
	__atomic_store_n(&log_nsecrets, n + 1, __ATOMIC_RELEASE);
	return 0;
}

void log_mask(char *s, const char *secret)
{
	size_t len = strlen(secret);
	char *p = s;

	if (!len)
		return;
	while ((p = strstr(p, secret)) != NULL) {
		memset(p, '*', len);
		p += len;
	}
}

void log_mask_secrets(char *msg)
{
	unsigned int n = __atomic_load_n(&log_nsecrets, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < n; i++)
		log_mask(msg, log_secrets[i]);
}

void log_set_level(enum log_level level)
{
	__atomic_store_n(&log_current_level, level, __ATOMIC_RELAXED);
}

static void log_vwrite(enum log_level level, const char *component, const char *fmt,
		       va_list ap)
{
	char head[128], *msg = NULL;
	struct timespec ts;
	struct tm tm;
	int len;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(head, sizeof(head), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, ts.tv_nsec / 1000000, config_log_level_name(level), component);
	/* Verifier logs run to many kilobytes: no fixed-size line. */
	len = vasprintf(&msg, fmt, ap);
	if (len < 0) {
		fprintf(stderr, "%s(message lost: out of memory)\n", head);
		return;
	}
	/* libbpf's messages carry their own newline. */
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = 0;
	log_mask_secrets(msg);
	fprintf(stderr, "%s%s\n", head, msg);
	free(msg);
}

void log_write(enum log_level level, const char *component, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, component, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level ours = level == LIBBPF_WARN ? LOG_LEVEL_WARN :
			      level == LIBBPF_INFO ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG;

	if (ours > log_level_now())
		return 0;
	/* libbpf prefixes most of its messages with its own name already. */
	if (strncmp(fmt, "libbpf: ", 8) == 0)
		fmt += 8;
	log_vwrite(ours, "libbpf", fmt, ap);
	return 0;
}

void log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
