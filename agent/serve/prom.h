/* Prometheus text exposition (format 0.0.4): a growing buffer of families and samples. */
#ifndef HOSTMON_PROM_H
#define HOSTMON_PROM_H

#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

struct prom {
	char *buf;
	size_t len;
	size_t cap;
	int err;		/* first allocation failure, -ENOMEM; later writes do nothing */
};

void prom_init(struct prom *p);
/* The text, NUL-terminated, now owned by the caller (NULL after a failure, errno set). */
HM_MUST_CHECK
char *prom_take(struct prom *p, size_t *len);
void prom_release(struct prom *p);

/* "# HELP name help" and "# TYPE name type" (counter, gauge, summary, histogram). */
void prom_family(struct prom *p, const char *name, const char *type, const char *help);

/*
 * One sample line: name{k="v",...} value. The labels are pairs of strings
 * ending with NULL; values are escaped (backslash, quote, newline).
 */
void prom_u64(struct prom *p, const char *name, uint64_t value, ...)
	__attribute__((sentinel));
/* A value already written as a number (a JSON number's text, "1.25"). */
void prom_number(struct prom *p, const char *name, const char *number, ...)
	__attribute__((sentinel));
/* A duration or time in nanoseconds, written exactly as seconds ("0.000012"). */
void prom_sec(struct prom *p, const char *name, uint64_t ns, ...)
	__attribute__((sentinel));

/* ns as decimal seconds, exact, without trailing zeros: 1500 -> "0.0000015". */
void prom_seconds(char *out, size_t len, uint64_t ns);

#endif /* HOSTMON_PROM_H */
