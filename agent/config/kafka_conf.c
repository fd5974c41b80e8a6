/* librdkafka properties from [kafka]: the ones hostmond owns are refused, the
 * rest checked by librdkafka itself; secrets come from a file or a variable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include "config/kafka_conf.h"
#include "core/log.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Values that are credentials: never inline in the config, never logged. */
static const char *const kafka_conf_secrets[] = {
	"sasl.password", "sasl.oauthbearer.client.secret", "sasl.oauthbearer.config",
	"ssl.key.password", "ssl.keystore.password", "ssl.key.pem",
};

#define WHY_ORDER	"the stream's order and no-duplicate guarantee depend on it"
#define WHY_SPOOL	"records wait in the spool without a time limit and leave it " \
			"only on their delivery report"
#define WHY_QUEUE	"it bounds the memory queued for the broker"
#define WHY_HOOKS	"hostmond's own callbacks and logging depend on it"

/* Properties hostmond sets itself because its guarantees depend on them. */
static const struct kafka_conf_owned {
	const char *name;
	bool prefix;		/* every property whose name starts with name */
	const char *why;
} kafka_conf_owned[] = {
	{ "bootstrap.servers", false, "write [kafka] brokers = HOST:PORT,... instead" },
	{ "metadata.broker.list", false, "write [kafka] brokers = HOST:PORT,... instead" },
	{ "enable.idempotence", false, WHY_ORDER },
	{ "enable.gapless.guarantee", false, WHY_ORDER },
	{ "acks", false, WHY_ORDER },
	{ "request.required.acks", false, WHY_ORDER },
	{ "max.in.flight", true, WHY_ORDER },
	{ "transactional.id", false, WHY_ORDER },
	{ "queuing.strategy", false, WHY_ORDER },
	{ "message.timeout.ms", false, WHY_SPOOL },
	{ "delivery.timeout.ms", false, WHY_SPOOL },
	{ "delivery.report.only.error", false, WHY_SPOOL },
	{ "queue.buffering.", true, WHY_QUEUE },
	{ "linger.ms", false, WHY_QUEUE },
	{ "statistics.interval.ms", false, WHY_HOOKS },
	{ "log.queue", false, WHY_HOOKS },
};

static const char *const kafka_conf_suffixes[] = {
	[KAFKA_CONF_FILE] = "_file",
	[KAFKA_CONF_ENV] = "_env",
};

bool kafka_conf_is_secret(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kafka_conf_secrets); i++)
		if (!strcmp(name, kafka_conf_secrets[i]))
			return true;
	return false;
}

/* Why hostmond refuses name, or NULL when it may be set. */
static const char *kafka_conf_owner(const char *name)
{
	const struct kafka_conf_owned *o;
	size_t len = strlen(name);

	for (o = kafka_conf_owned; o < kafka_conf_owned + ARRAY_SIZE(kafka_conf_owned); o++)
		if (o->prefix ? !strncmp(name, o->name, strlen(o->name)) : !strcmp(name, o->name))
			return o->why;
	if (len > 3 && !strcmp(name + len - 3, "_cb"))
		return WHY_HOOKS;
	return NULL;
}

/* Splits "sasl.password_file" into the property name and its source. */
static int kafka_conf_split(const char *key, char *name, enum kafka_conf_source *src,
			    char *err, size_t errlen)
{
	size_t len = strlen(key), n;

	*src = KAFKA_CONF_INLINE;
	for (size_t i = KAFKA_CONF_FILE; i < ARRAY_SIZE(kafka_conf_suffixes); i++) {
		n = strlen(kafka_conf_suffixes[i]);
		if (len > n && !strcmp(key + len - n, kafka_conf_suffixes[i])) {
			*src = (enum kafka_conf_source)i;
			len -= n;
			break;
		}
	}
	if (len >= KAFKA_CONF_NAME_MAX) {
		snprintf(err, errlen, "unknown key (too long for a librdkafka property)");
		return -ENOENT;
	}
	memcpy(name, key, len);
	name[len] = '\0';
	return 0;
}

/* Refuses what may not be written: an owned property, an inline secret. Any
 * other property may come from a file or a variable too (sasl.username). */
static int kafka_conf_allowed(const char *name, enum kafka_conf_source src, char *err,
			      size_t errlen)
{
	const char *why = kafka_conf_owner(name);

	if (why) {
		snprintf(err, errlen, "is set by hostmond and cannot be changed: %s", why);
		return -EPERM;
	}
	if (src == KAFKA_CONF_INLINE && kafka_conf_is_secret(name)) {
		snprintf(err, errlen, "is a secret and is not written in the config: write "
			 "%s_file = PATH (its first line) or %s_env = VARIABLE", name, name);
		return -EPERM;
	}
	return 0;
}

/* Reads all of path (at most len - 1 bytes) into buf, NUL-terminated. */
static int kafka_conf_slurp(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	size_t n;
	int ret = 0;

	buf[0] = '\0';
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot be opened: %s", strerror(-ret));
		return ret;
	}
	n = fread(buf, 1, len - 1, f);
	if (ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "cannot be read");
	} else if (n == len - 1 && fgetc(f) != EOF) {
		ret = -EFBIG;
		snprintf(err, errlen, "is larger than %zu bytes", len - 1);
	}
	(void)fclose(f); /* read only */
	buf[ret ? 0 : n] = '\0';
	return ret;
}

/* The first line of path, or the whole file for a PEM; without trailing newlines. */
static int kafka_conf_read_file(const char *name, const char *path, char *buf, size_t len,
				char *err, size_t errlen)
{
	size_t n = strlen(name);
	bool pem = n > 4 && !strcmp(name + n - 4, ".pem");
	int ret;

	ret = kafka_conf_slurp(path, buf, len, err, errlen);
	if (ret)
		return ret;
	if (!pem)
		buf[strcspn(buf, "\n")] = '\0';
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (!n) {
		snprintf(err, errlen, "is empty%s", pem ? "" : " (the secret is its first line)");
		return -EINVAL;
	}
	return 0;
}

static int kafka_conf_read_env(const char *var, char *buf, size_t len, char *err, size_t errlen)
{
	const char *v = getenv(var);

	if (!v || !v[0]) {
		snprintf(err, errlen, "is %s in the environment", v ? "empty" : "not set");
		return -EINVAL;
	}
	if (strlen(v) >= len) {
		snprintf(err, errlen, "is longer than %zu bytes in the environment", len - 1);
		return -EFBIG;
	}
	strcpy(buf, v);
	return 0;
}

/* The value librdkafka gets: inline, or read from the file or variable into buf. */
static int kafka_conf_value(const struct kafka_conf_prop *p, char *buf, size_t len, char *err,
			    size_t errlen)
{
	switch (p->source) {
	case KAFKA_CONF_FILE:
		return kafka_conf_read_file(p->name, p->value, buf, len, err, errlen);
	case KAFKA_CONF_ENV:
		return kafka_conf_read_env(p->value, buf, len, err, errlen);
	default:
		snprintf(buf, len, "%s", p->value);
		return 0;
	}
}

/* rd_kafka_conf_set, its message without the secret (librdkafka may quote a bad value). */
static int kafka_conf_set_one(rd_kafka_conf_t *conf, const char *name, const char *value,
			      char *err, size_t errlen)
{
	rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, name, value, err, errlen);

	if (res == RD_KAFKA_CONF_OK)
		return 0;
	if (kafka_conf_is_secret(name))
		log_mask(err, value);
	return res == RD_KAFKA_CONF_UNKNOWN ? -ENOENT : -EINVAL;
}

/* Resolves p's value and has librdkafka check it on a scratch configuration. */
static int kafka_conf_check(const struct kafka_conf_prop *p, char *err, size_t errlen)
{
	char *buf = malloc(KAFKA_CONF_SECRET_MAX), why[512];
	rd_kafka_conf_t *scratch = NULL;
	int ret = -ENOMEM;

	if (!buf || !(scratch = rd_kafka_conf_new())) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* A file or variable that cannot give the secret is a bad value. */
	ret = kafka_conf_value(p, buf, KAFKA_CONF_SECRET_MAX, err, errlen) ? -EINVAL : 0;
	if (ret)
		goto out;
	ret = kafka_conf_set_one(scratch, p->name, buf, why, sizeof(why));
	if (ret == -ENOENT)
		snprintf(err, errlen, "unknown key (neither hostmond's nor librdkafka's: %s)", why);
	else if (ret)
		snprintf(err, errlen, "librdkafka refuses it: %s", why);
out:
	if (buf)
		explicit_bzero(buf, KAFKA_CONF_SECRET_MAX);
	free(buf);
	if (scratch)
		rd_kafka_conf_destroy(scratch);
	return ret;
}

/* The index of name's property, or -1. */
static int kafka_conf_find(const struct kafka_conf *kc, const char *name)
{
	for (unsigned int i = 0; i < kc->n; i++)
		if (!strcmp(kc->props[i].name, name))
			return (int)i;
	return -1;
}

/* The slot for p: the one holding its name, or a new one. */
static int kafka_conf_store(struct kafka_conf *kc, const struct kafka_conf_prop *p, char *err,
			    size_t errlen)
{
	int i = kafka_conf_find(kc, p->name);

	if (i >= 0 && kc->props[i].line && p->line) {
		snprintf(err, errlen, "duplicate key, %s already set on line %d", p->name,
			 kc->props[i].line);
		return -EEXIST;
	}
	if (i < 0 && kc->n == KAFKA_CONF_MAX) {
		snprintf(err, errlen, "more than %d librdkafka properties", KAFKA_CONF_MAX);
		return -ENOSPC;
	}
	kc->props[i >= 0 ? (unsigned int)i : kc->n++] = *p;
	return 0;
}

int kafka_conf_set(struct kafka_conf *kc, const char *key, const char *value, int line,
		   char *err, size_t errlen)
{
	struct kafka_conf_prop p = { .line = line };
	int ret;

	ret = kafka_conf_split(key, p.name, &p.source, err, errlen);
	if (!ret)
		ret = kafka_conf_allowed(p.name, p.source, err, errlen);
	if (ret)
		return ret;
	if (strlen(value) >= sizeof(p.value)) {
		snprintf(err, errlen, "is %zu bytes, longer than the %zu allowed", strlen(value),
			 sizeof(p.value) - 1);
		return -EINVAL;
	}
	strcpy(p.value, value);
	ret = kafka_conf_check(&p, err, errlen);
	return ret ? ret : kafka_conf_store(kc, &p, err, errlen);
}

/* With mask, a secret is registered with the logger before librdkafka has it. */
static int kafka_conf_apply_one(const struct kafka_conf_prop *p, rd_kafka_conf_t *conf,
				bool mask, char *buf, char *err, size_t errlen)
{
	char why[512];
	int ret;

	ret = kafka_conf_value(p, buf, KAFKA_CONF_SECRET_MAX, why, sizeof(why));
	if (!ret && mask && kafka_conf_is_secret(p->name)) {
		ret = log_add_secret(buf);
		if (ret)
			snprintf(why, sizeof(why), "cannot be masked in the log: %s", strerror(-ret));
	}
	if (!ret)
		ret = kafka_conf_set_one(conf, p->name, buf, why, sizeof(why));
	if (ret && p->source != KAFKA_CONF_INLINE)
		snprintf(err, errlen, "[kafka] %s%s '%s': %s", p->name,
			 kafka_conf_suffixes[p->source], p->value, why);
	else if (ret)
		snprintf(err, errlen, "[kafka] %s: %s", p->name, why);
	explicit_bzero(buf, KAFKA_CONF_SECRET_MAX);
	return ret;
}

static int kafka_conf_apply_all(const struct kafka_conf *kc, rd_kafka_conf_t *conf, bool mask,
				char *err, size_t errlen)
{
	char *buf = malloc(KAFKA_CONF_SECRET_MAX);
	int ret = 0;

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; !ret && i < kc->n; i++)
		ret = kafka_conf_apply_one(&kc->props[i], conf, mask, buf, err, errlen);
	free(buf);
	return ret;
}

int kafka_conf_apply(const struct kafka_conf *kc, struct rd_kafka_conf_s *conf, char *err,
		     size_t errlen)
{
	return kafka_conf_apply_all(kc, conf, true, err, errlen);
}

int kafka_conf_check_all(const struct kafka_conf *kc, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char why[512];
	int ret;

	if (!kc->n)
		return 0;
	conf = rd_kafka_conf_new();
	if (!conf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* Quiet: this producer never runs, its messages would only confuse. */
	rd_kafka_conf_set_log_cb(conf, NULL);
	ret = kafka_conf_set_one(conf, "enable.idempotence", "true", why, sizeof(why));
	/* Its log is off: nothing to mask, and a reload does not fill the logger's table. */
	if (!ret)
		ret = kafka_conf_apply_all(kc, conf, false, err, errlen);
	if (ret) {
		rd_kafka_conf_destroy(conf);
		return ret;
	}
	/* Without bootstrap.servers it connects nowhere; rd_kafka_new owns conf on success. */
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "[kafka]: librdkafka refuses these properties together: %s", why);
		return -EINVAL;
	}
	rd_kafka_destroy(rk);
	return 0;
}

/* Compares where the values come from: a secret file rewritten in place is not a change. */
static bool kafka_conf_same(const struct kafka_conf_prop *p, const struct kafka_conf *other)
{
	int i = kafka_conf_find(other, p->name);

	return i >= 0 && other->props[i].source == p->source &&
	       !strcmp(other->props[i].value, p->value);
}

void kafka_conf_diff(const struct kafka_conf *a, const struct kafka_conf *b,
		     void (*fn)(void *ctx, const char *section, const char *key), void *ctx)
{
	for (unsigned int i = 0; i < a->n; i++)
		if (!kafka_conf_same(&a->props[i], b))
			fn(ctx, "kafka", a->props[i].name);
	for (unsigned int i = 0; i < b->n; i++)
		if (kafka_conf_find(a, b->props[i].name) < 0)
			fn(ctx, "kafka", b->props[i].name);
}
