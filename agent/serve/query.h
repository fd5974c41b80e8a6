/* Query parameters of the stats socket's endpoints, parsed and range-checked. */
#ifndef HOSTMON_QUERY_H
#define HOSTMON_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include "config/config.h"
#include "core/compiler.h"

#define QUERY_LIMIT_DEFAULT	100
#define QUERY_LIMIT_MAX		1000
#define QUERY_TOP_MAX		1000

/* Which parameters an endpoint takes (a bit mask) and which were given. */
enum query_param {
	QUERY_SINCE = 1 << 0,	/* /events: seq, 0..2^63 */
	QUERY_LIMIT = 1 << 1,	/* /events: 1..QUERY_LIMIT_MAX */
	QUERY_SYSCALL = 1 << 2,	/* /stats: a syscall name */
	QUERY_TOP = 1 << 3,	/* /stats: 1..QUERY_TOP_MAX syscalls by calls */
	QUERY_LEVEL = 1 << 4,	/* /admin/log-level: error|warn|info|debug */
	QUERY_CONTAINER = 1 << 5,	/* /stats: a workload's container id (or its prefix), name or cgroup */
	QUERY_TOP_CONTAINERS = 1 << 6,	/* /stats: 1..QUERY_TOP_MAX workloads, as ranked */
};

struct query {
	unsigned int given;
	uint64_t since;
	unsigned int limit;
	unsigned int top;
	unsigned int top_containers;
	char syscall[64];
	char container[256];
	enum log_level level;
};

void query_init(struct query *q);

/*
 * Takes key=value for an endpoint accepting the parameters in allowed.
 * Returns 0, or -EINVAL with err saying what is wrong: unknown or repeated
 * key, missing value, out of range, unknown syscall or level.
 */
HM_MUST_CHECK
int query_add(struct query *q, unsigned int allowed, const char *key, const char *value,
	      char *err, size_t errlen);

/* -EINVAL with err naming the first parameter of required that was not given. */
HM_MUST_CHECK
int query_require(const struct query *q, unsigned int required, char *err, size_t errlen);

#endif /* HOSTMON_QUERY_H */
