/* hostmond configuration: one table of keys drives defaults, the INI file (libinih),
 * the command-line flags, validation and the usage text. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <ini.h>
#include <linux/types.h>
#include "bpf/histogram.h"
#include "bpf/syscalls.h"
#include "config/config.h"
#include "core/encode.h"
#include "core/names.h"

/* A number macro as a string literal: a default shared with the BPF side. */
#define CONFIG_STR_(x)	#x
#define CONFIG_STR(x)	CONFIG_STR_(x)

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
/* Longer than any valid line (a full syscall list), so an overlong value gets
 * its own message instead of a split line. */
#define CONFIG_LINE_MAX		4096
/* How much of a bad value an error message quotes. */
#define CONFIG_QUOTE_MAX	64
#define CONFIG_NAME_MAX		64

enum config_type {
	CONFIG_UINT,		/* decimal, min..max */
	CONFIG_BOOL,
	CONFIG_LEVEL,		/* enum log_level by name */
	CONFIG_STR,		/* min = shortest length allowed */
	CONFIG_OUTPUT,		/* "jsonl:-" or "jsonl:PATH" */
	CONFIG_SYSCALLS,	/* comma list of syscall names, stored without blanks */
	CONFIG_LISTEN,		/* empty, or NUMERIC_HOST:PORT ("[V6]:PORT" for IPv6) */
};

struct config_key {
	const char *section;
	const char *key;
	const char *flag;	/* long option; NULL: only through --set */
	const char *arg;	/* what the flag takes, for the usage text */
	enum config_type type;
	size_t offset;
	size_t size;
	unsigned long long min, max;
	bool pow2;		/* CONFIG_UINT must also be a power of two */
	const char *disjoint;	/* CONFIG_SYSCALLS: key in the same section sharing no name */
	const char *def;	/* default, parsed like any other value */
};

#define FIELD(f)	.offset = offsetof(struct config, f), \
			.size = sizeof(((struct config *)0)->f)

#define CONFIG_BLOCKING_DEFAULT \
	"futex,futex_waitv,epoll_wait,epoll_pwait,epoll_pwait2,poll,ppoll,select,"	\
	"pselect6,nanosleep,clock_nanosleep,wait4,waitid,pause,rt_sigsuspend,"		\
	"rt_sigtimedwait,accept,accept4,io_getevents,io_pgetevents,io_uring_enter,"	\
	"msgrcv,semtimedop,semop,mq_timedreceive,sched_yield"

/* Every key exists once, here; nothing else lists them. */
static const struct config_key config_keys[] = {
	{ "agent", "interval", "interval", "SECONDS", CONFIG_UINT, FIELD(interval_s),
	  .min = 1, .max = 3600, .def = "10" },
	{ "agent", "output", "output", "jsonl:PATH|jsonl:-", CONFIG_OUTPUT, FIELD(output),
	  .def = "jsonl:-" },
	{ "agent", "socket", "socket", "PATH", CONFIG_STR, FIELD(socket_path),
	  .min = 1, .def = "/run/hostmon/hostmon.sock" },
	{ "agent", "metrics_listen", "metrics-listen", "HOST:PORT", CONFIG_LISTEN,
	  FIELD(metrics_listen), .def = "" },
	{ "agent", "spool_dir", "spool-dir", "DIR", CONFIG_STR, FIELD(spool_dir),
	  .min = 1, .def = "/var/lib/hostmon/spool" },
	{ "agent", "spool_max_bytes", "spool-max-bytes", "BYTES", CONFIG_UINT,
	  FIELD(spool_max_bytes), .min = 65536, .max = 1099511627776ULL, .def = "268435456" },
	{ "agent", "log_level", "log-level", "LEVEL", CONFIG_LEVEL, FIELD(log_level),
	  .def = "info" },
	{ "agent", "host_id", NULL, NULL, CONFIG_STR, FIELD(host_id), .def = "" },
	{ "agent", "ringbuf_size", NULL, NULL, CONFIG_UINT, FIELD(ringbuf_bytes),
	  .min = 4096, .max = 1073741824, .pow2 = true, .def = "262144" },
	{ "agent", "max_cpu_percent", "max-cpu-percent", "PERCENT", CONFIG_UINT,
	  FIELD(max_cpu_percent), .min = 1, .max = 100, .def = "2" },
	{ "agent", "pid_cache_size", NULL, NULL, CONFIG_UINT, FIELD(pid_cache_size),
	  .min = 64, .max = 1048576, .def = "4096" },
	{ "agent", "max_rss_mb", "max-rss-mb", "MIB", CONFIG_UINT, FIELD(max_rss_mb),
	  .min = 1, .max = 1048576, .def = "64" },
	{ "agent", "ring_flush_ms", NULL, NULL, CONFIG_UINT, FIELD(ring_flush_ms),
	  .min = 0, .max = 1000, .def = "100" },
	{ "agent", "trace_self", NULL, NULL, CONFIG_BOOL, FIELD(trace_self), .def = "false" },
	{ "kafka", "brokers", "kafka-brokers", "LIST", CONFIG_STR, FIELD(kafka_brokers),
	  .def = "" },
	{ "kafka", "topic", "kafka-topic", "NAME", CONFIG_STR, FIELD(kafka_topic),
	  .min = 1, .def = "hostmon.events" },
	{ "syscalls", "enabled", NULL, NULL, CONFIG_BOOL, FIELD(syscalls_enabled),
	  .def = "true" },
	{ "syscalls", "include", NULL, NULL, CONFIG_SYSCALLS, FIELD(syscalls_include),
	  .disjoint = "exclude", .def = "" },
	{ "syscalls", "exclude", NULL, NULL, CONFIG_SYSCALLS, FIELD(syscalls_exclude),
	  .disjoint = "include", .def = "" },
	{ "syscalls", "blocking", NULL, NULL, CONFIG_SYSCALLS, FIELD(syscalls_blocking),
	  .def = CONFIG_BLOCKING_DEFAULT },
	{ "syscalls", "slow_threshold_us", NULL, NULL, CONFIG_UINT, FIELD(slow_threshold_us),
	  .min = 0, .max = 60000000, .def = "10000" },
	{ "syscalls", "slow_events", NULL, NULL, CONFIG_BOOL, FIELD(slow_events),
	  .def = "true" },
	{ "syscalls", "sample_above", NULL, NULL, CONFIG_UINT, FIELD(sample_above),
	  .min = 0, .max = 1000000000, .def = CONFIG_STR(SC_SAMPLE_ABOVE_DEFAULT) },
	{ "proc", "enabled", NULL, NULL, CONFIG_BOOL, FIELD(proc_enabled), .def = "true" },
	{ "net", "enabled", NULL, NULL, CONFIG_BOOL, FIELD(net_enabled), .def = "true" },
	{ "net", "events_per_sec", NULL, NULL, CONFIG_UINT, FIELD(net_events_per_sec),
	  .min = 0, .max = 10000000, .def = "1000" },
	{ "net", "top_endpoints", NULL, NULL, CONFIG_UINT, FIELD(net_top_endpoints),
	  .min = 1, .max = 10000, .def = "20" },
	{ "net", "endpoint_entries", NULL, NULL, CONFIG_UINT, FIELD(net_endpoint_entries),
	  .min = 64, .max = 4194304, .def = "16384" },
	{ "net", "sock_entries", NULL, NULL, CONFIG_UINT, FIELD(net_sock_entries),
	  .min = 64, .max = 4194304, .def = "65536" },
	{ "workloads", "enabled", NULL, NULL, CONFIG_BOOL, FIELD(workloads_enabled),
	  .def = "true" },
	{ "workloads", "top", NULL, NULL, CONFIG_UINT, FIELD(workloads_top),
	  .min = 0, .max = 1000, .def = CONFIG_STR(WORKLOADS_TOP_DEFAULT) },
	{ "workloads", "entries", NULL, NULL, CONFIG_UINT, FIELD(workloads_entries),
	  .min = 64, .max = 1048576, .def = CONFIG_STR(SC_CG_ENTRIES) },
	{ "workloads", "idle_windows", NULL, NULL, CONFIG_UINT, FIELD(workloads_idle_windows),
	  .min = 1, .max = 1000, .def = CONFIG_STR(WORKLOADS_IDLE_DEFAULT) },
};

#define CONFIG_NKEYS	ARRAY_SIZE(config_keys)

/* Where a value came from (for the message) and where the message goes. */
struct config_ctx {
	const char *file;	/* file and line, or */
	int line;
	const char *flag;	/* long option without "--", or neither */
	const char *section;
	const char *key;
	const char *value;
	char *err;
	size_t errlen;
};

static size_t config_cat(char *buf, size_t len, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Appends at n, never past the buffer; returns the new length. */
static size_t config_cat(char *buf, size_t len, size_t n, const char *fmt, ...)
{
	va_list ap;
	int m;

	if (n >= len)
		return n;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return n;
	return n + (size_t)m < len ? n + (size_t)m : len - 1;
}

static int config_bad(const struct config_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes "FILE:LINE: " or "--FLAG: ", then "[section] key: 'value' " and the
 * reason into err; always returns -EINVAL. */
static int config_bad(const struct config_ctx *c, const char *fmt, ...)
{
	size_t n = 0, len = c->errlen;
	char *buf = c->err;
	va_list ap;

	if (!buf || !len)
		return -EINVAL;
	buf[0] = '\0';
	if (c->file)
		n = config_cat(buf, len, n, "%s:%d: ", c->file, c->line);
	else if (c->flag)
		n = config_cat(buf, len, n, "--%s: ", c->flag);
	if (c->section)
		n = config_cat(buf, len, n, "[%s] %s: ", c->section, c->key);
	if (c->value)
		n = config_cat(buf, len, n, "'%.*s%s' ", CONFIG_QUOTE_MAX, c->value,
			       strlen(c->value) > CONFIG_QUOTE_MAX ? "..." : "");
	if (n < len - 1) {
		va_start(ap, fmt);
		vsnprintf(buf + n, len - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const struct config_key *config_find(const char *section, const char *key)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++)
		if (!strcmp(config_keys[i].section, section) && !strcmp(config_keys[i].key, key))
			return &config_keys[i];
	return NULL;
}

static bool config_section_known(const char *section)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++)
		if (!strcmp(config_keys[i].section, section))
			return true;
	return false;
}

/* Finds c's key; -ENOENT when the section or the key does not exist. */
static int config_lookup(const struct config_ctx *c, const struct config_key **k)
{
	struct config_ctx quiet = *c;
	int ret;

	*k = config_find(c->section, c->key);
	if (*k)
		return 0;
	quiet.value = NULL;	/* the name is what is wrong, not the value */
	if (!c->section[0])
		ret = config_bad(&quiet, "key outside any [section]");
	else if (!config_section_known(c->section))
		ret = config_bad(&quiet, "unknown section");
	else
		ret = config_bad(&quiet, "unknown key");
	return ret == -EINVAL ? -ENOENT : ret;
}

/* Decimal only: strtoull alone would take "-1", " 1" and "0x10". */
static int config_parse_uint(const struct config_ctx *c, const struct config_key *k,
			     void *field)
{
	unsigned long long v = 0;
	char *end = NULL;
	uint32_t v32;

	errno = 0;
	if (isdigit((unsigned char)c->value[0]))
		v = strtoull(c->value, &end, 10);
	if (!end || *end || errno || v < k->min || v > k->max || (k->pow2 && (v & (v - 1))))
		return config_bad(c, "is not %s in %llu..%llu",
				  k->pow2 ? "a power of two" : "an integer", k->min, k->max);
	if (k->size == sizeof(uint64_t)) {
		memcpy(field, &(uint64_t){ v }, sizeof(uint64_t));
	} else {
		v32 = (uint32_t)v;
		memcpy(field, &v32, sizeof(v32));
	}
	return 0;
}

static int config_parse_bool(const struct config_ctx *c, bool *field)
{
	static const char *const words[] = { "false", "true", "no", "yes", "0", "1", "off", "on" };

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		if (!strcmp(c->value, words[i])) {
			*field = i % 2;
			return 0;
		}
	}
	return config_bad(c, "is not a boolean (true/false, yes/no, on/off, 1/0)");
}

static int config_parse_level(const struct config_ctx *c, enum log_level *field)
{
	for (enum log_level l = LOG_LEVEL_ERROR; l <= LOG_LEVEL_DEBUG; l++) {
		if (!strcmp(c->value, log_level_name(l))) {
			*field = l;
			return 0;
		}
	}
	return config_bad(c, "is not a log level (error, warn, info, debug)");
}

/* True if the stored (blank-free) comma list holds name. */
static bool config_list_has(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list, *end;

	while (*p) {
		end = strchrnul(p, ',');
		if ((size_t)(end - p) == len && !strncmp(p, name, len))
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

static char *config_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Checks each name of c->value against the syscall table and the disjoint
 * list, and writes the list without blanks to out (as long as the value). */
static int config_parse_syscalls(const struct config *cfg, const struct config_ctx *c,
				 const struct config_key *k, char *out)
{
	const struct config_key *other = k->disjoint ? config_find(k->section, k->disjoint) : NULL;
	const char *other_list = other ? (const char *)cfg + other->offset : "";
	char copy[CONFIG_LIST_MAX], *rest = copy, *name;
	size_t n = 0;

	out[0] = '\0';
	strcpy(copy, c->value);
	if (!*config_trim(copy))
		return 0;	/* an empty list is allowed: include = "" means all */
	while ((name = strsep(&rest, ",")) != NULL) {
		name = config_trim(name);
		if (!*name)
			return config_bad(c, "has an empty syscall name");
		if (names_syscall_nr(name) < 0)
			return config_bad(c, "names unknown syscall '%s'", name);
		if (config_list_has(other_list, name))
			return config_bad(c, "shares '%s' with [%s] %s",
					  name, k->section, k->disjoint);
		n += sprintf(out + n, "%s%s", n ? "," : "", name);
	}
	return 0;
}

/* Strings that do not fit are errors: a truncated path or list would be
 * silently wrong. */
/* "127.0.0.1:9464" or "[::1]:9464": a numeric address and a port in 1..65535. */
static bool config_listen_ok(const char *value)
{
	const char *colon = strrchr(value, ':');
	char host[64], *end;
	size_t n = colon ? (size_t)(colon - value) : 0;
	unsigned char addr[16];
	long port;

	if (!n || n >= sizeof(host))
		return false;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (!isdigit((unsigned char)colon[1]) || *end || errno || port < 1 || port > 65535)
		return false;
	if (value[0] == '[' && value[n - 1] == ']') {
		memcpy(host, value + 1, n - 2);
		host[n - 2] = '\0';
		return inet_pton(AF_INET6, host, addr) == 1;
	}
	memcpy(host, value, n);
	host[n] = '\0';
	return inet_pton(AF_INET, host, addr) == 1;
}

static int config_parse_string(const struct config *cfg, const struct config_ctx *c,
			       const struct config_key *k, char *field)
{
	char out[CONFIG_LIST_MAX];
	size_t len = strlen(c->value);
	int ret;

	if (len >= k->size || len >= sizeof(out))
		return config_bad(c, "is %zu bytes, longer than the %zu allowed", len, k->size - 1);
	if (len < k->min)
		return config_bad(c, "must not be empty");
	if (k->type == CONFIG_OUTPUT && (strncmp(c->value, "jsonl:", 6) || !c->value[6]))
		return config_bad(c, "is not jsonl:- or jsonl:PATH");
	if (k->type == CONFIG_LISTEN && len && !config_listen_ok(c->value))
		return config_bad(c, "is not ADDRESS:PORT (127.0.0.1:9464, [::1]:9464)");
	strcpy(out, c->value);
	if (k->type == CONFIG_SYSCALLS) {
		ret = config_parse_syscalls(cfg, c, k, out);
		if (ret)
			return ret;
	}
	strcpy(field, out);
	return 0;
}

/* Validates c->value for k and stores it; cfg is unchanged on error. */
static int config_apply(struct config *cfg, const struct config_key *k,
			const struct config_ctx *c)
{
	void *field = (char *)cfg + k->offset;

	switch (k->type) {
	case CONFIG_UINT:
		return config_parse_uint(c, k, field);
	case CONFIG_BOOL:
		return config_parse_bool(c, field);
	case CONFIG_LEVEL:
		return config_parse_level(c, field);
	default:
		return config_parse_string(cfg, c, k, field);
	}
}

void config_defaults(struct config *cfg)
{
	struct config_ctx c = { 0 };
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		c.section = config_keys[i].section;
		c.key = config_keys[i].key;
		c.value = config_keys[i].def;
		/* Defaults pass the same checks; a bad one is a bug the unit test catches. */
		ret = config_apply(cfg, &config_keys[i], &c);
		assert(ret == 0);
		(void)ret;
	}
}

void config_diff(const struct config *a, const struct config *b,
		 void (*fn)(void *ctx, const char *section, const char *key), void *ctx)
{
	const struct config_key *k;
	const char *fa, *fb;
	bool same;

	for (k = config_keys; k < config_keys + CONFIG_NKEYS; k++) {
		fa = (const char *)a + k->offset;
		fb = (const char *)b + k->offset;
		/* Strings are compared as strings: bytes after the NUL do not count. */
		if (k->type == CONFIG_STR || k->type == CONFIG_OUTPUT || k->type == CONFIG_SYSCALLS ||
		    k->type == CONFIG_LISTEN)
			same = !strcmp(fa, fb);
		else
			same = !memcmp(fa, fb, k->size);
		if (!same)
			fn(ctx, k->section, k->key);
	}
	kafka_conf_diff(&a->kafka, &b->kafka, fn, ctx);
}

/* Every [kafka] key that is not in config_keys goes to librdkafka (kafka_conf.c). */
static bool config_is_kafka_prop(const struct config_ctx *c)
{
	return !strcmp(c->section, "kafka") && !config_find(c->section, c->key);
}

/* The value is quoted only when it is what is wrong: never a secret written
 * inline, never a name librdkafka does not know. -ENOENT for an unknown name. */
static int config_set_kafka(struct config *cfg, const struct config_ctx *c)
{
	struct config_ctx q = *c;
	char why[512];
	int ret;

	ret = kafka_conf_set(&cfg->kafka, c->key, c->value, c->file ? c->line : 0, why,
			     sizeof(why));
	if (!ret)
		return 0;
	if (ret != -EINVAL)
		q.value = NULL;
	config_bad(&q, "%s", why);
	return ret == -ENOENT ? -ENOENT : -EINVAL;
}

static int config_set_ctx(struct config *cfg, const struct config_ctx *c)
{
	const struct config_key *k;
	int ret;

	if (config_is_kafka_prop(c))
		return config_set_kafka(cfg, c);
	ret = config_lookup(c, &k);
	return ret ? ret : config_apply(cfg, k, c);
}

int config_set(struct config *cfg, const char *section, const char *key,
	       const char *value, char *err, size_t errlen)
{
	struct config_ctx c = {
		.section = section, .key = key, .value = value, .err = err, .errlen = errlen,
	};

	if (!section || !key || !value) {
		snprintf(err, errlen, "config_set: section, key and value are required");
		return -EINVAL;
	}
	return config_set_ctx(cfg, &c);
}

/* --- INI file --------------------------------------------------------------- */

struct config_file {
	struct config *cfg;
	FILE *f;
	struct config_ctx ctx;		/* file, line and err for messages */
	char raw[CONFIG_LINE_MAX];	/* the current line as written, trimmed */
	int seen[CONFIG_NKEYS];		/* line where each key was set, 0 = not yet */
	int ret;			/* first error of the reader or handler */
};

/* libinih's knobs are process-wide; they are set only while a file is parsed
 * (at start-up, single-threaded) and put back after. */
struct config_ini_knobs {
	bool multiline, stop_on_error, use_stack, no_value;
	int max_line;
};

static struct config_ini_knobs config_ini_swap(struct config_ini_knobs k)
{
	struct config_ini_knobs old = {
		ini_allow_multiline, ini_stop_on_first_error, ini_use_stack,
		ini_allow_no_value, ini_max_line,
	};

	ini_allow_multiline = k.multiline;
	ini_stop_on_first_error = k.stop_on_error;
	ini_use_stack = k.use_stack;
	ini_allow_no_value = k.no_value;
	ini_max_line = k.max_line;
	return old;
}

/* An error about the line itself, quoted as written. */
static void config_line_bad(struct config_file *st, const char *reason)
{
	struct config_ctx c = st->ctx;

	c.value = st->raw;
	st->ret = config_bad(&c, "%s", reason);
}

/*
 * A config is text: NUL, control characters other than tab, CR and LF, and
 * bytes that are not UTF-8 mean a binary or damaged file (libinih would read
 * a NUL as the end of the line). Returns 0, or -EINVAL naming the first bad
 * byte's column (1-based, in bytes).
 */
static int config_line_bytes(const struct config_ctx *c, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, seq;

	for (i = 0; i < n; i += seq) {
		if (u[i] == '\0')
			return config_bad(c, "NUL byte at column %zu", i + 1);
		if ((u[i] < 0x20 && u[i] != '\t' && u[i] != '\r' && u[i] != '\n') || u[i] == 0x7f)
			return config_bad(c, "control character 0x%02x at column %zu", u[i], i + 1);
		seq = u[i] < 0x80 ? 1 : encode_utf8_seq(s + i, n - i);
		if (!seq)
			return config_bad(c, "invalid UTF-8 byte 0x%02x at column %zu", u[i], i + 1);
	}
	return 0;
}

/* One line of at most num - 1 bytes with its newline, NUL-terminated; returns
 * its length (NUL bytes included), or 0 at the end of the file. */
static size_t config_getline(char *str, int num, FILE *f)
{
	size_t n = 0;
	int ch = 0;

	while (n + 1 < (size_t)num && ch != '\n' && (ch = getc(f)) != EOF)
		str[n++] = (char)ch;
	str[n] = '\0';
	return n;
}

/* fgets for libinih that counts lines, refuses bad bytes, keeps the raw text
 * for messages and refuses lines that do not fit instead of letting them be
 * split. */
static char *config_ini_read(char *str, int num, void *stream)
{
	struct config_file *st = stream;
	bool longer;
	size_t n;

	errno = 0;
	n = config_getline(str, num, st->f);
	if (ferror(st->f)) {
		st->ret = errno ? -errno : -EIO;
		snprintf(st->ctx.err, st->ctx.errlen, "%s: cannot read: %s",
			 st->ctx.file, strerror(-st->ret));
		return NULL;
	}
	if (!n)
		return NULL;
	st->ctx.line++;
	longer = str[n - 1] != '\n' && getc(st->f) != EOF;
	/* Bad bytes first (a binary file has long "lines"); the last 3 bytes of a
	 * cut line may be a UTF-8 sequence cut short. */
	st->ret = config_line_bytes(&st->ctx, str, longer && n > 3 ? n - 3 : n);
	if (!st->ret && longer)
		st->ret = config_bad(&st->ctx, "line longer than %d bytes", CONFIG_LINE_MAX - 2);
	if (st->ret)
		return NULL;
	snprintf(st->raw, sizeof(st->raw), "%s", str);
	config_trim(st->raw);
	return str;
}

static int config_ini_handler(void *user, const char *section, const char *name,
			      const char *value)
{
	struct config_file *st = user;
	struct config_ctx c = st->ctx;
	const struct config_key *k;

	/* libinih also takes "key: value"; ours are "key = value" only. */
	if (st->raw[strcspn(st->raw, "=:")] != '=') {
		config_line_bad(st, "is not 'key = value'");
		return 0;
	}
	c.section = section;
	c.key = name;
	c.value = value;
	if (config_is_kafka_prop(&c)) {
		st->ret = config_set_kafka(st->cfg, &c) ? -EINVAL : 0;
		return !st->ret;
	}
	if (config_lookup(&c, &k)) {
		st->ret = -EINVAL;
		return 0;
	}
	if (st->seen[k - config_keys]) {
		c.value = NULL;
		st->ret = config_bad(&c, "duplicate key, already set on line %d",
				     st->seen[k - config_keys]);
		return 0;
	}
	st->seen[k - config_keys] = c.line;
	st->ret = config_apply(st->cfg, k, &c);
	return !st->ret;
}

/* Turns libinih's result into ours: our own error first, then its syntax error
 * (a line that is neither [section] nor key = value). */
static int config_ini_result(struct config_file *st, int ret)
{
	if (st->ret)
		return st->ret;
	if (ret == -2) {
		snprintf(st->ctx.err, st->ctx.errlen, "%s: out of memory", st->ctx.file);
		return -ENOMEM;
	}
	if (ret) {
		/* Parsing stopped at that line, so raw holds it. */
		st->ctx.line = ret;
		config_line_bad(st, "is not '[section]' or 'key = value'");
		return st->ret;
	}
	return 0;
}

/*
 * The config says what runs as root and where records go: a file anyone but
 * root (or the user running hostmond) could have written is refused.
 */
static int config_file_trusted(FILE *f, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fileno(f), &st)) {
		int ret = -errno;

		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(-ret));
		return ret;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, not by root: refused (chown root)", path,
			 (unsigned int)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s: writable by %s (mode %04o): refused (chmod go-w)", path,
			 st.st_mode & S_IWOTH ? "others" : "its group",
			 (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int config_load_stream(struct config *cfg, FILE *f, const char *name, char *err,
		       size_t errlen)
{
	static const struct config_ini_knobs knobs = {
		.multiline = false, .stop_on_error = true, .use_stack = true,
		.no_value = false, .max_line = CONFIG_LINE_MAX,
	};
	struct config_file *st;
	struct config_ini_knobs old;
	int ret;

	st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	st->cfg = cfg;
	st->f = f;
	st->ctx = (struct config_ctx){ .file = name, .err = err, .errlen = errlen };
	old = config_ini_swap(knobs);
	ret = ini_parse_stream(config_ini_read, st, config_ini_handler, st);
	config_ini_swap(old);
	ret = config_ini_result(st, ret);
	free(st);
	return ret;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	ret = config_file_trusted(f, path, err, errlen);
	if (!ret)
		ret = config_load_stream(cfg, f, path, err, errlen);
	(void)fclose(f); /* read only: nothing left to lose */
	return ret;
}

/* --- Command line ----------------------------------------------------------- */

enum {
	OPT_CONFIG = 1,
	OPT_SET,
	OPT_CHECK,
	OPT_VERSION,
	OPT_HELP,
	OPT_KEY = 256,		/* + index in config_keys */
};

/* Flags that are not keys; the keys' own flags come from config_keys. */
static const struct config_flag {
	const char *name;
	int val;
	const char *arg;
	const char *help;
} config_flags[] = {
	{ "config", OPT_CONFIG, "FILE", "read this INI file first; the flags override it" },
	{ "set", OPT_SET, "SECTION.KEY=VALUE", "set any key listed below (repeatable)" },
	{ "check-config", OPT_CHECK, NULL, "validate the configuration and exit" },
	{ "version", OPT_VERSION, NULL, "print the version and exit" },
	{ "help", OPT_HELP, NULL, "print this help and exit" },
};

#define CONFIG_NOPTS	(ARRAY_SIZE(config_flags) + CONFIG_NKEYS + 1)

/* A value flag, applied only once the --config file has been read. */
struct config_pending {
	int opt;
	const char *arg;
};

struct config_args {
	struct config_pending *todo;
	int ntodo;
	const char *path;
	bool *check_only;
	bool *show_version;
	struct config_ctx ctx;		/* err for messages about the flags */
};

static void config_usage_line(FILE *out, const char *name, const char *arg, const char *help)
{
	char left[64];

	snprintf(left, sizeof(left), "--%s%s%s", name, arg ? " " : "", arg ? arg : "");
	fprintf(out, "  %-30s %s\n", left, help);
}

static void config_usage(FILE *out)
{
	const struct config_key *k;
	char help[96];

	fprintf(out, "Usage: hostmond [OPTION]...\n"
		"eBPF host monitor: syscall latency, connection errors, process crashes.\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(config_flags); i++)
		config_usage_line(out, config_flags[i].name, config_flags[i].arg,
				  config_flags[i].help);
	for (k = config_keys; k < config_keys + CONFIG_NKEYS; k++) {
		if (!k->flag)
			continue;
		snprintf(help, sizeof(help), "same as --set %s.%s", k->section, k->key);
		config_usage_line(out, k->flag, k->arg, help);
	}
	fprintf(out, "\nKeys ([section] key in the file, section.key for --set) and defaults:\n");
	for (k = config_keys; k < config_keys + CONFIG_NKEYS; k++)
		fprintf(out, "  %s.%s = %s\n", k->section, k->key, k->def);
	fprintf(out, "  kafka.PROPERTY = a librdkafka property (security.protocol, sasl.mechanism,\n"
		"    ssl.ca.location, ...); a secret as kafka.PROPERTY_file = PATH or\n"
		"    kafka.PROPERTY_env = VARIABLE (sasl.password_file = /etc/hostmon/kafka.pass)\n");
	fprintf(out, "\nThe --config file is read first; flags override it in any order.\n");
}

static void config_build_options(struct option *o)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(config_flags); i++)
		o[n++] = (struct option){ config_flags[i].name,
					  config_flags[i].arg ? required_argument : no_argument,
					  NULL, config_flags[i].val };
	for (size_t i = 0; i < CONFIG_NKEYS; i++)
		if (config_keys[i].flag)
			o[n++] = (struct option){ config_keys[i].flag, required_argument,
						  NULL, OPT_KEY + (int)i };
	o[n] = (struct option){ 0 };
}

/* Returns 1 for --help, after printing the usage. */
static int config_take_opt(struct config_args *a, int opt, char **argv)
{
	switch (opt) {
	case OPT_CONFIG:
		a->path = optarg;
		return 0;
	case OPT_CHECK:
		*a->check_only = true;
		return 0;
	case OPT_VERSION:
		*a->show_version = true;
		return 0;
	case OPT_HELP:
		config_usage(stdout);
		return 1;
	case ':':
		return config_bad(&a->ctx, "option '%s' needs an argument", argv[optind - 1]);
	case '?':
		/* optopt names a short option; a bad long one is in argv. */
		if (optopt > 0 && optopt < OPT_KEY && isprint(optopt))
			return config_bad(&a->ctx, "invalid option '-%c'", optopt);
		return config_bad(&a->ctx, "invalid option '%s'", argv[optind - 1]);
	default:
		a->todo[a->ntodo++] = (struct config_pending){ opt, optarg };
		return 0;
	}
}

/* "+" stops at the first operand instead of permuting argv: any operand is an error. */
static int config_scan_args(struct config_args *a, int argc, char **argv)
{
	struct option opts[CONFIG_NOPTS];
	int opt, ret = 0, saved_opterr = opterr;

	config_build_options(opts);
	opterr = 0;
	optind = 0;
	while (!ret && (opt = getopt_long(argc, argv, "+:", opts, NULL)) != -1)
		ret = config_take_opt(a, opt, argv);
	if (!ret && optind < argc)
		ret = config_bad(&a->ctx, "unexpected argument '%s'", argv[optind]);
	opterr = saved_opterr;
	return ret;
}

/* Splits "section.key=value" of --set into c. */
static int config_split_set(struct config_ctx *c, const char *arg, char *section, char *key)
{
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): --set requires an argument */
	const char *dot = strchr(arg, '.');
	const char *eq = strchr(arg, '=');

	if (!dot || !eq || dot > eq || dot - arg >= CONFIG_NAME_MAX ||
	    eq - dot - 1 >= CONFIG_NAME_MAX) {
		/* -EINVAL spelled out: the analyzer does not follow variadic config_bad. */
		(void)config_bad(c, "is not SECTION.KEY=VALUE");
		return -EINVAL;
	}
	memcpy(section, arg, dot - arg);
	section[dot - arg] = '\0';
	memcpy(key, dot + 1, eq - dot - 1);
	key[eq - dot - 1] = '\0';
	c->section = section;
	c->key = key;
	c->value = eq + 1;
	return 0;
}

static int config_apply_pending(struct config *cfg, const struct config_pending *p,
				char *err, size_t errlen)
{
	struct config_ctx c = { .flag = "set", .value = p->arg, .err = err, .errlen = errlen };
	char section[CONFIG_NAME_MAX], key[CONFIG_NAME_MAX];
	const struct config_key *k;
	int ret;

	if (p->opt == OPT_SET) {
		ret = config_split_set(&c, p->arg, section, key);
		if (ret)
			return ret;
	} else {
		k = &config_keys[p->opt - OPT_KEY];
		c.flag = k->flag;
		c.section = k->section;
		c.key = k->key;
	}
	ret = config_set_ctx(cfg, &c);
	return ret == -ENOENT ? -EINVAL : ret;
}

/*
 * Flags are checked first (so a typo is reported before any file is read),
 * then the --config file is read, then the value flags are applied in order:
 * flags override the file wherever --config stands; last, librdkafka checks
 * its properties together. Returns 1 for --help,
 * after printing the usage to stdout, so the caller exits 0 without starting.
 */
int config_parse_args(struct config *cfg, int argc, char **argv, bool *check_only,
		      bool *show_version, char *err, size_t errlen)
{
	struct config_args a = {
		.check_only = check_only, .show_version = show_version,
		.ctx = { .err = err, .errlen = errlen },
	};
	int ret;

	*check_only = false;
	*show_version = false;
	a.todo = calloc(argc > 0 ? argc : 1, sizeof(*a.todo));
	if (!a.todo)
		return -ENOMEM;
	ret = config_scan_args(&a, argc, argv);
	if (!ret && a.path)
		ret = config_load_file(cfg, a.path, err, errlen);
	for (int i = 0; !ret && i < a.ntodo; i++)
		ret = config_apply_pending(cfg, &a.todo[i], err, errlen);
	if (!ret)
		ret = kafka_conf_check_all(&cfg->kafka, err, errlen);
	free(a.todo);
	return ret;
}
