/* hostmond's usage text (--help). */
#ifndef HOSTMON_CONFIG_USAGE_H
#define HOSTMON_CONFIG_USAGE_H

#include <stdio.h>

/* Every flag, then every key of the file with its default. */
void config_usage(FILE *out);

#endif /* HOSTMON_CONFIG_USAGE_H */
