/* Prometheus text exposition: families, escaped labels, integer and float values. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "serve/prom.h"

void prom_init(struct prom *p)
{
	memset(p, 0, sizeof(*p));
}

void prom_release(struct prom *p)
{
	free(p->buf);
	prom_init(p);
}

char *prom_take(struct prom *p, size_t *len)
{
	char *buf = p->buf;

	if (p->err || !buf) {
		prom_release(p);
		errno = ENOMEM;
		return NULL;
	}
	*len = p->len;
	prom_init(p);
	return buf;
}

static int prom_reserve(struct prom *p, size_t more)
{
	size_t cap = p->cap ? p->cap : 4096;
	char *buf;

	if (p->err)
		return p->err;
	if (p->len + more + 1 <= p->cap)
		return 0;
	while (cap < p->len + more + 1)
		cap *= 2;
	buf = realloc(p->buf, cap);
	if (!buf)
		return p->err = -ENOMEM;
	p->buf = buf;
	p->cap = cap;
	return 0;
}

static void prom_put(struct prom *p, const char *s, size_t n)
{
	if (prom_reserve(p, n))
		return;
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void prom_puts(struct prom *p, const char *s)
{
	prom_put(p, s, strlen(s));
}

static void prom_escaped(struct prom *p, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			prom_puts(p, "\\\\");
		else if (*s == '"')
			prom_puts(p, "\\\"");
		else if (*s == '\n')
			prom_puts(p, "\\n");
		else
			prom_put(p, s, 1);
	}
}

void prom_family(struct prom *p, const char *name, const char *type, const char *help)
{
	prom_puts(p, "# HELP ");
	prom_puts(p, name);
	prom_puts(p, " ");
	prom_puts(p, help);
	prom_puts(p, "\n# TYPE ");
	prom_puts(p, name);
	prom_puts(p, " ");
	prom_puts(p, type);
	prom_puts(p, "\n");
}

static void prom_labels(struct prom *p, va_list ap)
{
	const char *k, *v;
	int n = 0;

	while ((k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		prom_puts(p, n++ ? "," : "{");
		prom_puts(p, k);
		prom_puts(p, "=\"");
		prom_escaped(p, v ? v : "");
		prom_puts(p, "\"");
	}
	if (n)
		prom_puts(p, "}");
}

static void prom_value(struct prom *p, const char *value)
{
	prom_puts(p, " ");
	prom_puts(p, value);
	prom_puts(p, "\n");
}

void prom_u64(struct prom *p, const char *name, uint64_t value, ...)
{
	char num[32];
	va_list ap;

	prom_puts(p, name);
	va_start(ap, value);
	prom_labels(p, ap);
	va_end(ap);
	snprintf(num, sizeof(num), "%" PRIu64, value);
	prom_value(p, num);
}

void prom_number(struct prom *p, const char *name, const char *number, ...)
{
	va_list ap;

	prom_puts(p, name);
	va_start(ap, number);
	prom_labels(p, ap);
	va_end(ap);
	prom_value(p, number);
}

void prom_sec(struct prom *p, const char *name, uint64_t ns, ...)
{
	char num[32];
	va_list ap;

	prom_puts(p, name);
	va_start(ap, ns);
	prom_labels(p, ap);
	va_end(ap);
	prom_seconds(num, sizeof(num), ns);
	prom_value(p, num);
}

void prom_seconds(char *out, size_t len, uint64_t ns)
{
	uint64_t frac = ns % 1000000000U;
	int digits = 9;

	if (!frac) {
		snprintf(out, len, "%" PRIu64, ns / 1000000000U);
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(out, len, "%" PRIu64 ".%0*" PRIu64, ns / 1000000000U, digits, frac);
}
