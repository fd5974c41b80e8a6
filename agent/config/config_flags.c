/* hostmond's command line: getopt over the flags of the table, --config read first,
 * then --set and the keys' own flags applied in order over it. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/config_table.h"
#include "config/config_usage.h"
#include "config/kafka_conf.h"

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

static void config_build_options(struct option *o)
{
	size_t n = 0;

	for (size_t i = 0; i < config_nflags; i++)
		o[n++] = (struct option){ config_flags[i].name,
					  config_flags[i].arg ? required_argument : no_argument,
					  NULL, config_flags[i].val };
	for (size_t i = 0; i < config_nkeys; i++)
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
	struct option *opts = calloc(config_nflags + config_nkeys + 1, sizeof(*opts));
	int opt, ret = 0, saved_opterr = opterr;

	if (!opts)
		return -ENOMEM;
	config_build_options(opts);
	opterr = 0;
	optind = 0;
	while (!ret && (opt = getopt_long(argc, argv, "+:", opts, NULL)) != -1)
		ret = config_take_opt(a, opt, argv);
	if (!ret && optind < argc)
		ret = config_bad(&a->ctx, "unexpected argument '%s'", argv[optind]);
	opterr = saved_opterr;
	free(opts);
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
