/* The agent's version, printed by --version and carried by every Kafka envelope. */
#ifndef HOSTMON_VERSION_H
#define HOSTMON_VERSION_H

#include <stddef.h>
#include <stdio.h>

#ifndef HOSTMON_VERSION
#define HOSTMON_VERSION "0.2.0"
#endif

/*
 * Writes into buf, one per line, the TLS, SASL and compression lines that
 * librdkafka's builtin.features (a comma-separated list) implies, e.g.
 * "compression: gzip snappy lz4 zstd"; what is missing reads "none".
 * Returns the length written, or -ENOSPC when buf is too small.
 */
int version_describe_features(const char *features, char *buf, size_t len);

/*
 * What --version prints: "hostmond VERSION" first (scripts read its second
 * field), then the git commit, the build (static or not, glibc, libbpf,
 * librdkafka) and the Kafka features of the librdkafka linked in.
 * Returns 0 or a negative errno.
 */
int version_print(FILE *out);

#endif /* HOSTMON_VERSION_H */
