/*
 * hostmon-alert's configuration: the INI file (libinih) and the flags over
 * it. Every error names the key, and the file and line it came from.
 */
#ifndef HOSTMON_ALERT_ACONF_H
#define HOSTMON_ALERT_ACONF_H

#include "service.h"

#define ACONF_PROPS_MAX	64

struct aconf {
	struct service_cfg svc;
	char metrics_listen[128];	/* "" : no metrics server */
	char log_level[16];
	char *props[ACONF_PROPS_MAX];	/* librdkafka NAME=VALUE, owned */
	int check_only;			/* --check-config */
};

/* Defaults for every key. */
void aconf_defaults(struct aconf *c);
/* Reads path over c; 0, or -EINVAL with err naming file:line and key (or -errno: unreadable). */
int aconf_load(struct aconf *c, const char *path, char *err, size_t errlen);
/* The flags (argv) over the file they may name; 0, 1 for --help/--version (printed), -EINVAL with err. */
int aconf_args(struct aconf *c, int argc, char **argv, char *err, size_t errlen);
void aconf_release(struct aconf *c);

#endif /* HOSTMON_ALERT_ACONF_H */
