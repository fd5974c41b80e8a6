/* hostmon-alert's INI file and flags; see aconf.h and docs/hostmon-alert.md. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>
#include "aconf.h"
#include "alog.h"
#include "kclient.h"
#include "core/version.h"

#define NS	1000000000ULL
#define MS	1000000ULL

enum kind { K_STR, K_UINT, K_SECONDS, K_MS, K_BOOL };

struct key {
	const char *section;
	const char *name;
	enum kind kind;
	size_t offset;		/* in struct aconf */
	size_t size;		/* K_STR: buffer size; K_UINT: sizeof the integer */
	unsigned long long min, max;
};

#define OFF(f)	offsetof(struct aconf, f)
#define STR(s, n, f)		{ s, n, K_STR, OFF(f), sizeof(((struct aconf *)0)->f), 0, 0 }
#define UINT(s, n, f, lo, hi)	{ s, n, K_UINT, OFF(f), sizeof(((struct aconf *)0)->f), lo, hi }
#define SECS(s, n, f, lo, hi)	{ s, n, K_SECONDS, OFF(f), 0, lo, hi }
#define MSEC(s, n, f, lo, hi)	{ s, n, K_MS, OFF(f), 0, lo, hi }

static const struct key keys[] = {
	STR("kafka", "brokers", svc.brokers),
	STR("kafka", "topic", svc.topic),
	STR("kafka", "by_exe_topic", svc.by_exe_topic),
	STR("kafka", "group_id", svc.group_id),
	UINT("kafka", "by_exe_partitions", svc.by_exe_partitions, 1, 10000),
	{ "kafka", "start", K_BOOL, OFF(svc.start_latest), 0, 0, 0 },
	MSEC("kafka", "commit_interval_ms", svc.commit_interval_ns, 10, 60000),
	STR("alertmanager", "url", svc.am.url),
	STR("alertmanager", "generator_url", svc.am.generator_url),
	UINT("alertmanager", "timeout_ms", svc.am.timeout_ms, 100, 60000),
	UINT("alertmanager", "queue_max", svc.am.queue_max, 1, 10000000),
	UINT("alertmanager", "batch_max", svc.am.batch_max, 1, 1000),
	MSEC("alertmanager", "retry_min_ms", svc.am.retry_min_ns, 10, 600000),
	MSEC("alertmanager", "retry_max_ms", svc.am.retry_max_ns, 10, 3600000),
	STR("service", "metrics_listen", metrics_listen),
	STR("service", "log_level", log_level),
	STR("alerts", "runbook_url", svc.rules.runbook),
	SECS("alerts", "default_interval", svc.rules.default_interval_ns, 1, 86400),
	SECS("alerts", "forget_after", svc.rules.forget_ns, 60, 2592000),
	SECS("alerts", "refresh", svc.rules.refresh_ns, 1, 86400),
	UINT("crash_loop", "count", svc.rules.crash_loop_count, 1, 64),
	SECS("crash_loop", "window", svc.rules.crash_loop_window_ns, 1, 86400),
	UINT("crash_wave", "hosts", svc.rules.wave_hosts, 2, 1000000),
	SECS("crash_wave", "window", svc.rules.wave_window_ns, 1, 86400),
	UINT("oom", "count", svc.rules.oom_count, 1, 1000000),
	SECS("oom", "window", svc.rules.oom_window_ns, 1, 86400),
	UINT("silent", "intervals", svc.rules.silent_intervals, 1, 1000),
	SECS("records_lost", "hold", svc.rules.lost_hold_ns, 1, 86400),
};

void aconf_defaults(struct aconf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->svc.brokers, sizeof(c->svc.brokers), "127.0.0.1:9092");
	snprintf(c->svc.topic, sizeof(c->svc.topic), "hostmon.events");
	snprintf(c->svc.by_exe_topic, sizeof(c->svc.by_exe_topic), "hostmon.alert.by-exe");
	snprintf(c->svc.group_id, sizeof(c->svc.group_id), "hostmon-alert");
	c->svc.by_exe_partitions = 6;
	c->svc.commit_interval_ns = 1000 * MS;
	c->svc.props = c->props;
	rules_cfg_defaults(&c->svc.rules);
	snprintf(c->svc.am.url, sizeof(c->svc.am.url), "http://127.0.0.1:9093");
	c->svc.am.timeout_ms = 2000;
	c->svc.am.queue_max = 10000;
	c->svc.am.batch_max = 64;
	c->svc.am.retry_min_ns = 200 * MS;
	c->svc.am.retry_max_ns = 30000 * MS;
	snprintf(c->log_level, sizeof(c->log_level), "info");
}

static int parse_ull(const char *v, unsigned long long lo, unsigned long long hi, unsigned long long *out)
{
	char *end;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return errno || *end || *out < lo || *out > hi ? -EINVAL : 0;
}

/* Sets one key from its text; msg says what was expected on failure. */
static int set_key(struct aconf *c, const struct key *k, const char *v, char *msg, size_t len)
{
	char *dst = (char *)c + k->offset;
	unsigned long long n = 0;

	switch (k->kind) {
	case K_STR:
		if (strlen(v) >= k->size || (!*v && strcmp(k->name, "metrics_listen")))
			return snprintf(msg, len, "expected a non-empty value under %zu bytes", k->size), -EINVAL;
		memcpy(dst, v, strlen(v) + 1);
		return 0;
	case K_BOOL: /* start = earliest | latest */
		if (strcmp(v, "earliest") && strcmp(v, "latest"))
			return snprintf(msg, len, "expected earliest or latest"), -EINVAL;
		*(int *)dst = !strcmp(v, "latest");
		return 0;
	default:
		break;
	}
	if (parse_ull(v, k->min, k->max, &n))
		return snprintf(msg, len, "expected an integer %llu..%llu%s", k->min, k->max,
				k->kind == K_SECONDS ? " (seconds)" : k->kind == K_MS ? " (ms)" : ""), -EINVAL;
	if (k->kind == K_SECONDS || k->kind == K_MS)
		*(uint64_t *)dst = n * (k->kind == K_SECONDS ? NS : MS);
	else if (k->size == sizeof(int))
		*(int *)dst = (int)n;
	else if (k->size == sizeof(long))
		*(long *)dst = (long)n;
	return 0;
}

static int add_prop(struct aconf *c, const char *name, const char *value, char *msg, size_t len)
{
	char *p;

	if (c->svc.nprops >= ACONF_PROPS_MAX)
		return snprintf(msg, len, "more than %d librdkafka properties", ACONF_PROPS_MAX), -EINVAL;
	if (kclient_check_prop(name, value, msg, len))
		return -EINVAL;
	if (asprintf(&p, "%s=%s", name, value) < 0)
		return snprintf(msg, len, "out of memory"), -ENOMEM;
	c->props[c->svc.nprops++] = p;
	return 0;
}

struct load {
	struct aconf *c;
	char *err;
	size_t errlen;
};

/* [kafka] names with a dot are librdkafka properties for both clients. */
static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct load *l = user;
	char msg[512] = "unknown key";

	if (!strcmp(section, "kafka") && strchr(name, '.')) {
		if (!add_prop(l->c, name, value, msg, sizeof(msg)))
			return 1;
	} else {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name)) {
				if (!set_key(l->c, &keys[i], value, msg, sizeof(msg)))
					return 1;
				break;
			}
	}
	snprintf(l->err, l->errlen, "[%s] %s = '%s': %s", section, name, value, msg);
	return 0;
}

int aconf_load(struct aconf *c, const char *path, char *err, size_t errlen)
{
	struct load l = { .c = c, .err = err, .errlen = errlen };
	char inner[512];
	FILE *f = fopen(path, "r");
	int line;

	if (!f) {
		int ret = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	err[0] = '\0';
	line = ini_parse_file(f, on_entry, &l);
	(void)fclose(f); /* read only: nothing to lose */
	if (!line)
		return 0;
	snprintf(inner, sizeof(inner), "%s", err[0] ? err : "not a key = value line or a [section]");
	snprintf(err, errlen, "%s:%d: %s", path, line, inner);
	return -EINVAL;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: hostmon-alert [--config FILE] [options]\n"
		"Alerts on the hostmon.v1 event stream in Kafka; posts to Alertmanager's v2 API.\n"
		"  -c, --config FILE         INI file (docs/hostmon-alert.md); flags override it\n"
		"  -b, --brokers LIST        [kafka] brokers (default 127.0.0.1:9092)\n"
		"  -t, --topic NAME          [kafka] topic (default hostmon.events)\n"
		"  -g, --group-id ID         [kafka] group_id (default hostmon-alert)\n"
		"      --by-exe-topic NAME   [kafka] by_exe_topic (default hostmon.alert.by-exe)\n"
		"  -a, --alertmanager URL    [alertmanager] url (default http://127.0.0.1:9093)\n"
		"  -m, --metrics-listen H:P  [service] metrics_listen: GET /metrics there\n"
		"      --log-level LEVEL     [service] log_level: error, warn, info, debug\n"
		"  -X NAME=VALUE             a librdkafka property ([kafka] NAME = VALUE)\n"
		"      --check-config        check the configuration and exit\n"
		"      --version\n"
		"Exit: 0 stopped by a signal, 1 runtime failure, 2 bad flags or configuration.\n");
}

/* The flag's key in the file, so that both take the same checks. */
static int flag_key(struct aconf *c, const char *section, const char *name, const char *v,
		    const char *flag, char *err, size_t errlen)
{
	char msg[512];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name)) {
			if (!set_key(c, &keys[i], v, msg, sizeof(msg)))
				return 0;
			snprintf(err, errlen, "%s '%s': %s", flag, v, msg);
			return -EINVAL;
		}
	return -EINVAL;
}

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "brokers", required_argument, NULL, 'b' },
	{ "topic", required_argument, NULL, 't' },
	{ "group-id", required_argument, NULL, 'g' },
	{ "by-exe-topic", required_argument, NULL, 'E' },
	{ "alertmanager", required_argument, NULL, 'a' },
	{ "metrics-listen", required_argument, NULL, 'm' },
	{ "log-level", required_argument, NULL, 'L' },
	{ "check-config", no_argument, NULL, 'C' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* The config file first (flags override it wherever they stand). */
static int load_named_config(struct aconf *c, int argc, char **argv, char *err, size_t errlen)
{
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:b:t:g:a:m:X:h", longopts, NULL)) != -1)
		if (opt == 'c')
			return aconf_load(c, optarg, err, errlen);
	return 0;
}

static int one_flag(struct aconf *c, int opt, char *err, size_t errlen)
{
	char *eq;

	switch (opt) {
	case 'c': return 0;
	case 'b': return flag_key(c, "kafka", "brokers", optarg, "--brokers", err, errlen);
	case 't': return flag_key(c, "kafka", "topic", optarg, "--topic", err, errlen);
	case 'g': return flag_key(c, "kafka", "group_id", optarg, "--group-id", err, errlen);
	case 'E': return flag_key(c, "kafka", "by_exe_topic", optarg, "--by-exe-topic", err, errlen);
	case 'a': return flag_key(c, "alertmanager", "url", optarg, "--alertmanager", err, errlen);
	case 'm': return flag_key(c, "service", "metrics_listen", optarg, "--metrics-listen", err, errlen);
	case 'L': return flag_key(c, "service", "log_level", optarg, "--log-level", err, errlen);
	case 'C': c->check_only = 1; return 0;
	case 'X':
		eq = strchr(optarg, '=');
		if (!eq || eq == optarg) {
			snprintf(err, errlen, "-X '%s': expected NAME=VALUE", optarg);
			return -EINVAL;
		}
		*eq = '\0';
		if (add_prop(c, optarg, eq + 1, err, errlen)) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s", err);
			snprintf(err, errlen, "-X %s: %s", optarg, msg);
			*eq = '=';
			return -EINVAL;
		}
		*eq = '=';
		return 0;
	default:
		return -EINVAL;
	}
}

int aconf_args(struct aconf *c, int argc, char **argv, char *err, size_t errlen)
{
	int opt, ret = load_named_config(c, argc, argv, err, errlen);

	if (ret)
		return ret == -EINVAL ? ret : -EINVAL;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:b:t:g:a:m:X:h", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == 'V') {
			if (opt == 'h')
				usage(stdout);
			else
				printf("hostmon-alert " HOSTMON_VERSION "\n");
			return 1;
		}
		if (opt == '?' || opt == ':') {
			snprintf(err, errlen, "unknown option or missing argument: %s (see --help)",
				 argv[optind - 1]);
			return -EINVAL;
		}
		if (one_flag(c, opt, err, errlen))
			return -EINVAL;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (alog_set_level(c->log_level)) {
		snprintf(err, errlen, "[service] log_level '%s': expected error, warn, info or debug", c->log_level);
		return -EINVAL;
	}
	if (c->svc.am.retry_min_ns > c->svc.am.retry_max_ns) {
		snprintf(err, errlen, "[alertmanager] retry_min_ms is above retry_max_ms");
		return -EINVAL;
	}
	return 0;
}

void aconf_release(struct aconf *c)
{
	for (int i = 0; i < c->svc.nprops; i++)
		free(c->props[i]);
	c->svc.nprops = 0;
}
