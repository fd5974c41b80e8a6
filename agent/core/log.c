/*
 * Log records: "ts=... level=... component=... code=... msg=\"...\" key=value ..."
 * (logfmt), one write(2) per record; repeats of a warning or error held back
 * with a count.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "core/clock.h"
#include "core/log.h"

enum log_level log_current_level = LOG_LEVEL_INFO;

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

const char *log_level_name(enum log_level level)
{
	if ((size_t)level >= sizeof(log_level_names) / sizeof(log_level_names[0]))
		return "unknown";
	return log_level_names[level];
}

static int log_fd = 2;

/* Appended only: an entry is written before the count that publishes it, so
 * threads logging meanwhile read whole strings without a lock. */
static char *log_secrets[LOG_SECRETS_MAX];
static unsigned int log_nsecrets;

/*
 * A warning or error shown lately: body is everything after ts and level,
 * the latest one's; its first key_len bytes (component, code, msg) are what
 * makes two identical, the fields after them are its latest figures.
 */
struct repeat {
	char *body;
	size_t key_len;
	enum log_level level;
	struct log_limit lim;
};

/* What stands for a record that could not be made. */
#define OOM_BODY	"component=log msg=\"record lost: out of memory\""

static pthread_mutex_t repeat_lock = PTHREAD_MUTEX_INITIALIZER;
static struct repeat repeats[LOG_REPEAT_SLOTS];
static struct log_counts counts;

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

void log_set_fd(int fd)
{
	log_fd = fd;
}

/* A value bare when it can be, else quoted with \" \\ \n \t and \xNN escapes: one record, one line. */
static void put_value(FILE *f, const char *s, bool quote)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p && !quote; p++)
		quote = *p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f;
	if (!*s)
		quote = true;
	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < ' ' || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void put_field(FILE *f, const struct log_field *lf)
{
	const char *name = NULL;

	fprintf(f, " %s=", lf->key);
	if (lf->kind == LOG_FIELD_STR) {
		put_value(f, lf->str ? lf->str : "", false);
		return;
	}
	if (lf->kind == LOG_FIELD_ERRNO)
		name = strerrorname_np((int)lf->num);
	/* An errno without a name shows as its number. */
	if (name)
		fputs(name, f);
	else
		fprintf(f, "%lld", lf->num);
}

/*
 * "component=... [code=...] msg=\"...\" fields...", secrets masked, its
 * length up to the fields in *key_len; NULL without memory.
 */
static char *render_body(const char *component, enum errcode code,
			 const struct log_field *fields, char *msg, size_t *key_len)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&body, &len);
	if (!f)
		return NULL;
	fputs("component=", f);
	put_value(f, component, false);
	if (code != HM_E_NONE)
		fprintf(f, " code=%s", errcode_id(code));
	fputs(" msg=", f);
	put_value(f, msg, true);
	if (fflush(f)) {
		/* Already failed: the memory stream's buffer is what is freed. */
		(void)fclose(f);
		free(body);
		return NULL;
	}
	*key_len = len;
	for (; fields && fields->key; fields++)
		put_field(f, fields);
	if (fclose(f))
		return NULL;
	log_mask_secrets(body);
	return body;
}

static void emit(enum log_level level, const char *body, uint64_t repeated)
{
	char head[96], tail[48] = "", *line;
	struct timespec ts;
	struct tm tm;
	int len;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(head, sizeof(head), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, ts.tv_nsec / 1000000, log_level_name(level));
	if (repeated)
		snprintf(tail, sizeof(tail), " repeated=%llu", (unsigned long long)repeated);
	len = asprintf(&line, "%s%s%s\n", head, body, tail);
	if (len < 0) {
		static const char oom[] = "level=error " OOM_BODY "\n";

		/* Nothing left to report the failed report to. */
		(void)!write(log_fd, oom, sizeof(oom) - 1);
		return;
	}
	/* A short write to stderr cannot be reported anywhere else either. */
	(void)!write(log_fd, line, (size_t)len);
	free(line);
}

/* The latest held-back repeat shown now, standing for the others before it too. */
static void emit_held(struct repeat *r)
{
	emit(r->level, r->body, r->lim.held - 1);
	r->lim.held = 0;
}

/* The slot remembering body's key, or the one to reuse (empty, else the longest unseen: its count written first). */
static struct repeat *repeat_slot(const char *body, size_t key_len, enum log_level level,
				  bool *found)
{
	struct repeat *r, *victim = &repeats[0];

	for (r = repeats; r < repeats + LOG_REPEAT_SLOTS; r++) {
		if (r->body && r->level == level && r->key_len == key_len &&
		    !memcmp(r->body, body, key_len)) {
			*found = true;
			return r;
		}
		/* An empty slot, else the one shown longest ago. */
		if (!r->body || (victim->body && r->lim.shown_ns < victim->lim.shown_ns))
			victim = r;
	}
	*found = false;
	if (victim->body && victim->lim.held)
		emit_held(victim);
	free(victim->body);
	victim->body = NULL;
	victim->lim = (struct log_limit){ 0 };
	return victim;
}

/* Every warning and error, shown or held back, in the counts. Under repeat_lock. */
static void count_record(enum log_level level, enum errcode code)
{
	if (level == LOG_LEVEL_ERROR)
		counts.errors++;
	else
		counts.warnings++;
	if ((unsigned int)code < HM_E_MAX)
		counts.by_code[code]++;
}

/*
 * The one repeat rule, for a message's slot and a call site's limit alike: one
 * more occurrence of l's record; true when it is shown now (the first, or the
 * period since the last shown is over), else it is held back and counted.
 * Under repeat_lock.
 */
static bool limit_pass(struct log_limit *l, uint64_t now)
{
	l->count++;
	if (l->shown_ns && now - l->shown_ns < LOG_REPEAT_PERIOD_NS) {
		l->held++;
		counts.suppressed++;
		return false;
	}
	l->shown_for = l->held + 1;
	l->held = 0;
	l->shown_ns = now;
	return true;
}

/*
 * Takes body, a warning or error: counts it, then shows it, or holds it back
 * as a repeat of one shown within the period.
 */
static void write_limited(enum log_level level, enum errcode code, char *body, size_t key_len)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	struct repeat *r;
	bool found;

	pthread_mutex_lock(&repeat_lock);
	count_record(level, code);
	r = repeat_slot(body, key_len, level, &found);
	free(r->body);
	r->body = body;
	r->key_len = key_len;
	r->level = level;
	if (limit_pass(&r->lim, now))
		emit(level, body, r->lim.shown_for - 1);
	pthread_mutex_unlock(&repeat_lock);
}

bool log_limit_due(struct log_limit *l, enum log_level level, enum errcode code)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	bool due;

	if (level > LOG_LEVEL_WARN)
		return true;	/* never limited, as in log_write */
	pthread_mutex_lock(&repeat_lock);
	count_record(level, code);
	due = limit_pass(l, now);
	pthread_mutex_unlock(&repeat_lock);
	return due;
}

void log_flush_repeats(int force)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	struct repeat *r;

	pthread_mutex_lock(&repeat_lock);
	for (r = repeats; r < repeats + LOG_REPEAT_SLOTS; r++) {
		if (!r->body || !r->lim.held ||
		    (!force && now - r->lim.shown_ns < LOG_REPEAT_PERIOD_NS))
			continue;
		emit_held(r);
		r->lim.shown_ns = now;
	}
	pthread_mutex_unlock(&repeat_lock);
}

void log_get_counts(struct log_counts *out)
{
	pthread_mutex_lock(&repeat_lock);
	*out = counts;
	pthread_mutex_unlock(&repeat_lock);
}

/* limited: a warning or error goes through its message's repeat limit (else it was due already). */
static void log_vwrite(enum log_level level, const char *component, enum errcode code,
		       const struct log_field *fields, bool limited, const char *fmt, va_list ap)
{
	char *msg = NULL, *body;
	size_t key_len = 0;
	int len;

	/* Verifier logs run to many kilobytes: no fixed-size message. */
	len = vasprintf(&msg, fmt, ap);
	if (len < 0) {
		emit(LOG_LEVEL_ERROR, OOM_BODY, 0);
		return;
	}
	/* libbpf's messages carry their own newline. */
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = 0;
	body = render_body(component, code, fields, msg, &key_len);
	free(msg);
	if (!body) {
		emit(LOG_LEVEL_ERROR, OOM_BODY, 0);
		return;
	}
	if (level > LOG_LEVEL_WARN || !limited) {
		emit(level, body, 0);
		free(body);
		return;
	}
	write_limited(level, code, body, key_len);
}

void log_write(enum log_level level, const char *component, enum errcode code,
	       const struct log_field *fields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, component, code, fields, true, fmt, ap);
	va_end(ap);
}

void log_write_due(enum log_level level, const char *component, enum errcode code,
		   const struct log_field *fields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, component, code, fields, false, fmt, ap);
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
	log_vwrite(ours, "libbpf", ours == LOG_LEVEL_WARN ? HM_E_LIBBPF : HM_E_NONE, NULL, true,
		   fmt, ap);
	return 0;
}

void log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
