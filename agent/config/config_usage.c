/* hostmond --help: the flags and every key with its default, from the table. */
#include <stdio.h>
#include "config/config_table.h"
#include "config/config_usage.h"

static void config_usage_line(FILE *out, const char *name, const char *arg, const char *help)
{
	char left[64];

	snprintf(left, sizeof(left), "--%s%s%s", name, arg ? " " : "", arg ? arg : "");
	fprintf(out, "  %-30s %s\n", left, help);
}

void config_usage(FILE *out)
{
	const struct config_key *k;
	char help[96];

	fprintf(out, "Usage: hostmond [OPTION]...\n"
		"eBPF host monitor: syscall latency, connection errors, process crashes.\n\n");
	for (size_t i = 0; i < config_nflags; i++)
		config_usage_line(out, config_flags[i].name, config_flags[i].arg,
				  config_flags[i].help);
	for (k = config_keys; k < config_keys + config_nkeys; k++) {
		if (!k->flag)
			continue;
		snprintf(help, sizeof(help), "same as --set %s.%s", k->section, k->key);
		config_usage_line(out, k->flag, k->arg, help);
	}
	fprintf(out, "\nKeys ([section] key in the file, section.key for --set) and defaults:\n");
	for (k = config_keys; k < config_keys + config_nkeys; k++)
		fprintf(out, "  %s.%s = %s\n", k->section, k->key, k->def);
	fprintf(out, "  kafka.PROPERTY = a librdkafka property (security.protocol, sasl.mechanism,\n"
		"    ssl.ca.location, ...); a secret as kafka.PROPERTY_file = PATH or\n"
		"    kafka.PROPERTY_env = VARIABLE (sasl.password_file = /etc/hostmon/kafka.pass)\n");
	fprintf(out, "\nThe --config file is read first; flags override it in any order.\n");
}
