/* librdkafka properties from [kafka]: which ones pass through, their checks, secrets read from a file or the environment. */
#ifndef HOSTMON_KAFKA_CONF_H
#define HOSTMON_KAFKA_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include "core/compiler.h"

#define KAFKA_CONF_MAX		32	/* properties in [kafka] */
#define KAFKA_CONF_NAME_MAX	64
#define KAFKA_CONF_VALUE_MAX	256
/* A secret read from a file (a PEM key is several KiB). */
#define KAFKA_CONF_SECRET_MAX	16384

struct rd_kafka_conf_s;

enum kafka_conf_source {
	KAFKA_CONF_INLINE,	/* value is the property's value */
	KAFKA_CONF_FILE,	/* NAME_file = PATH: value is the path */
	KAFKA_CONF_ENV,		/* NAME_env = VARIABLE: value is the variable's name */
};

struct kafka_conf_prop {
	char name[KAFKA_CONF_NAME_MAX];		/* librdkafka's name, without _file/_env */
	char value[KAFKA_CONF_VALUE_MAX];	/* never a secret itself, see source */
	enum kafka_conf_source source;
	int line;				/* in the config file; 0: from a flag */
};

/* Plain data without pointers: struct config holds one and is copied by value. */
struct kafka_conf {
	unsigned int n;
	struct kafka_conf_prop props[KAFKA_CONF_MAX];
};

/*
 * Takes "[kafka] key = value" for any key that is not hostmond's own: key is
 * a librdkafka property, or NAME_file / NAME_env for one whose value is read
 * from a file or a variable (a secret must be). The value (read now) is checked by librdkafka on a
 * scratch configuration. A later key of the same name replaces an earlier
 * one, unless both come from the file (line > 0). On error writes the reason
 * into err (it never holds a secret value) and returns -ENOENT for a name
 * librdkafka does not know, -EINVAL for a bad value, -EPERM for a property
 * hostmond owns or a secret written inline, -EEXIST for a duplicate,
 * -ENOSPC when KAFKA_CONF_MAX are set.
 */
HM_MUST_CHECK
int kafka_conf_set(struct kafka_conf *kc, const char *key, const char *value, int line,
		   char *err, size_t errlen);

/* True for the properties whose value is a secret (sasl.password, ...). */
bool kafka_conf_is_secret(const char *name);

/*
 * Sets every property on conf, secrets read again from their file or
 * variable and registered with the logger so no log line shows them.
 * 0, or -errno with err naming the property.
 */
HM_MUST_CHECK
int kafka_conf_apply(const struct kafka_conf *kc, struct rd_kafka_conf_s *conf, char *err,
		     size_t errlen);

/*
 * What kafka_conf_set cannot see alone: librdkafka creates (and destroys) a
 * producer with every property, which checks how they fit together (a SASL
 * mechanism it supports, PLAIN with a username and password, TLS files that
 * load). Connects nowhere. 0, or -EINVAL with err holding librdkafka's reason.
 */
HM_MUST_CHECK
int kafka_conf_check_all(const struct kafka_conf *kc, char *err, size_t errlen);

/* Calls fn(ctx, "kafka", name) for each property set in one of a and b but not alike in the other. */
void kafka_conf_diff(const struct kafka_conf *a, const struct kafka_conf *b,
		     void (*fn)(void *ctx, const char *section, const char *key), void *ctx);

#endif /* HOSTMON_KAFKA_CONF_H */
