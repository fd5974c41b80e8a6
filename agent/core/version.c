/* --version: the version, the commit and the build's feature set, from the libraries linked in. */
#include <errno.h>
#include <gnu/libc-version.h>
#include <stdbool.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <librdkafka/rdkafka.h>
#include "core/version.h"

/* Set by the Makefile: `git describe`, and how the binary was linked. */
#ifndef HOSTMON_COMMIT
#define HOSTMON_COMMIT "unknown"
#endif
#ifndef HOSTMON_LINK
#define HOSTMON_LINK "dynamic"
#endif

enum feature_kind { FEATURE_TLS, FEATURE_SASL, FEATURE_CODEC, FEATURE_KIND_MAX };

/* librdkafka's builtin.features tokens and what each means to an operator. */
static const struct feature {
	const char *token;
	enum feature_kind kind;
	const char *label;
} features[] = {
	{ "ssl", FEATURE_TLS, "OpenSSL" },
	{ "sasl_plain", FEATURE_SASL, "PLAIN" },
	{ "sasl_scram", FEATURE_SASL, "SCRAM-SHA-256 SCRAM-SHA-512" },
	{ "sasl_oauthbearer", FEATURE_SASL, "OAUTHBEARER" },
	{ "sasl_gssapi", FEATURE_SASL, "GSSAPI" },
	{ "gzip", FEATURE_CODEC, "gzip" },
	{ "snappy", FEATURE_CODEC, "snappy" },
	{ "lz4", FEATURE_CODEC, "lz4" },
	{ "zstd", FEATURE_CODEC, "zstd" },
};

static const char *const kind_names[FEATURE_KIND_MAX] = {
	[FEATURE_TLS] = "tls",
	[FEATURE_SASL] = "sasl",
	[FEATURE_CODEC] = "compression",
};

/* True if token is one of the comma-separated items of list, whole. */
static bool has_token(const char *list, const char *token)
{
	size_t n = strlen(token);
	const char *p = list;

	while ((p = strstr(p, token))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

int version_describe_features(const char *features_list, char *buf, size_t len)
{
	size_t off = 0;
	int kind, n;

	for (kind = 0; kind < FEATURE_KIND_MAX; kind++) {
		const char *sep = "";

		n = snprintf(buf + off, len - off, "%s:", kind_names[kind]);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
		for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
			if (features[i].kind != (enum feature_kind)kind ||
			    !has_token(features_list, features[i].token))
				continue;
			n = snprintf(buf + off, len - off, " %s", features[i].label);
			if (n < 0 || (size_t)n >= len - off)
				return -ENOSPC;
			off += (size_t)n;
			sep = " ";
		}
		n = snprintf(buf + off, len - off, "%s\n", *sep ? "" : " none");
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return (int)off;
}

int version_print(FILE *out)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char feats[512] = "", lines[512];
	size_t flen = sizeof(feats);
	int ret;

	if (!conf)
		return -ENOMEM;
	if (rd_kafka_conf_get(conf, "builtin.features", feats, &flen) != RD_KAFKA_CONF_OK)
		feats[0] = '\0';
	rd_kafka_conf_destroy(conf);
	ret = version_describe_features(feats, lines, sizeof(lines));
	if (ret < 0)
		return ret;
	fprintf(out, "hostmond %s\n", HOSTMON_VERSION);
	fprintf(out, "commit: %s\n", HOSTMON_COMMIT);
	fprintf(out, "build: %s, glibc %s, libbpf %u.%u, librdkafka %s\n", HOSTMON_LINK,
		gnu_get_libc_version(), libbpf_major_version(), libbpf_minor_version(),
		rd_kafka_version_str());
	fprintf(out, "%skafka builtin.features: %s\n", lines, feats);
	return fflush(out) ? -errno : 0;
}
