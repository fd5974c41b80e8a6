/* hostmond configuration: the one table of keys (section, name, flag, type, range,
 * default) and the checks that store a value in struct config; config_ini.c,
 * config_flags.c and config_usage.c read the same table. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/types.h>
#include "bpf/histogram.h"
#include "bpf/syscalls.h"
#include "config/config.h"
#include "config/config_table.h"
#include "core/names.h"

/* A number macro as a string literal: a default shared with the BPF side. */
#define CONFIG_STR_(x)	#x
#define CONFIG_STR(x)	CONFIG_STR_(x)

/* How much of a bad value an error message quotes. */
#define CONFIG_QUOTE_MAX	64

#define FIELD(f)	.offset = offsetof(struct config, f), \
			.size = sizeof(((struct config *)0)->f)

#define CONFIG_BLOCKING_DEFAULT \
	"futex,futex_waitv,epoll_wait,epoll_pwait,epoll_pwait2,poll,ppoll,select,"	\
	"pselect6,nanosleep,clock_nanosleep,wait4,waitid,pause,rt_sigsuspend,"		\
	"rt_sigtimedwait,accept,accept4,io_getevents,io_pgetevents,io_uring_enter,"	\
	"msgrcv,semtimedop,semop,mq_timedreceive,sched_yield"

/* Every key exists once, here; nothing else lists them. */
const struct config_key config_keys[] = {
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

const size_t config_nkeys = CONFIG_ARRAY_SIZE(config_keys);

/* The flags that are not keys, in the order --help lists them. */
const struct config_flag config_flags[] = {
	{ "config", OPT_CONFIG, "FILE", "read this INI file first; the flags override it" },
	{ "set", OPT_SET, "SECTION.KEY=VALUE", "set any key listed below (repeatable)" },
	{ "check-config", OPT_CHECK, NULL, "validate the configuration and exit" },
	{ "version", OPT_VERSION, NULL, "print the version and exit" },
	{ "help", OPT_HELP, NULL, "print this help and exit" },
};

const size_t config_nflags = CONFIG_ARRAY_SIZE(config_flags);

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

int config_bad(const struct config_ctx *c, const char *fmt, ...)
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
	for (size_t i = 0; i < config_nkeys; i++)
		if (!strcmp(config_keys[i].section, section) && !strcmp(config_keys[i].key, key))
			return &config_keys[i];
	return NULL;
}

static bool config_section_known(const char *section)
{
	for (size_t i = 0; i < config_nkeys; i++)
		if (!strcmp(config_keys[i].section, section))
			return true;
	return false;
}

/* Finds c's key; -ENOENT when the section or the key does not exist. */
int config_lookup(const struct config_ctx *c, const struct config_key **k)
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

	for (size_t i = 0; i < CONFIG_ARRAY_SIZE(words); i++) {
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

char *config_trim(char *s)
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
int config_apply(struct config *cfg, const struct config_key *k,
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
	for (size_t i = 0; i < config_nkeys; i++) {
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

	for (k = config_keys; k < config_keys + config_nkeys; k++) {
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
bool config_is_kafka_prop(const struct config_ctx *c)
{
	return !strcmp(c->section, "kafka") && !config_find(c->section, c->key);
}

/* The value is quoted only when it is what is wrong: never a secret written
 * inline, never a name librdkafka does not know. -ENOENT for an unknown name. */
int config_set_kafka(struct config *cfg, const struct config_ctx *c)
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

int config_set_ctx(struct config *cfg, const struct config_ctx *c)
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
