/* What the config modules share (not for the rest of the agent): the table of keys, the
 * flags that are not keys, a value's origin for messages, and the checks that store a value. */
#ifndef HOSTMON_CONFIG_TABLE_H
#define HOSTMON_CONFIG_TABLE_H

#include <stdbool.h>
#include <stddef.h>

struct config;

#define CONFIG_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* Longest section or key name --set takes, NUL included. */
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

/* Every key, once (config.c); nothing else lists them. */
extern const struct config_key config_keys[];
extern const size_t config_nkeys;

/* getopt values of the flags: those that are not keys, then one per key. */
enum {
	OPT_CONFIG = 1,
	OPT_SET,
	OPT_CHECK,
	OPT_VERSION,
	OPT_HELP,
	OPT_KEY = 256,		/* + index in config_keys */
};

/* A flag that is not a key (--config, --set, ...); the keys' own flags come from config_keys. */
struct config_flag {
	const char *name;
	int val;
	const char *arg;	/* what it takes; NULL: nothing */
	const char *help;
};

extern const struct config_flag config_flags[];
extern const size_t config_nflags;

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

/* Writes "FILE:LINE: " or "--FLAG: ", then "[section] key: 'value' " and the
 * reason into c's err; always returns -EINVAL. */
int config_bad(const struct config_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* s without leading and trailing blanks (cut in place). */
char *config_trim(char *s);

/* Finds c's key; -ENOENT (with the message) when the section or the key does not exist. */
int config_lookup(const struct config_ctx *c, const struct config_key **k);

/* Every [kafka] key that is not in config_keys goes to librdkafka (kafka_conf.c). */
bool config_is_kafka_prop(const struct config_ctx *c);

/* The value is quoted only when it is what is wrong: never a secret written
 * inline, never a name librdkafka does not know. -ENOENT for an unknown name. */
int config_set_kafka(struct config *cfg, const struct config_ctx *c);

/* Validates c->value for k and stores it; cfg is unchanged on error. */
int config_apply(struct config *cfg, const struct config_key *k, const struct config_ctx *c);

/* c's key, a [kafka] property or one of the table, set from c->value. */
int config_set_ctx(struct config *cfg, const struct config_ctx *c);

#endif /* HOSTMON_CONFIG_TABLE_H */
