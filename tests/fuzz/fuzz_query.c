/* libFuzzer target: the stats socket's query parameters. The first byte picks
 * which parameters the endpoint takes; the rest is a URL query string, split
 * and unescaped the way libmicrohttpd hands it to query_add. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/names.h"
#include "serve/query.h"

#define QUERY_ALL	(QUERY_SINCE | QUERY_LIMIT | QUERY_SYSCALL | QUERY_TOP | QUERY_LEVEL)

static void fail(const char *why, const char *key, const char *err)
{
	fprintf(stderr, "fuzz_query: %s (key '%s', message '%s')\n", why, key, err);
	abort();
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* In place: '+' is a blank, %XX a byte; a bad escape stays as written. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (*s == '%' && hex(s[1]) >= 0 && hex(s[2]) >= 0) {
			*out++ = (char)(hex(s[1]) * 16 + hex(s[2]));
			s += 2;
		} else {
			*out++ = *s == '+' ? ' ' : *s;
		}
	}
	*out = '\0';
}

/* What query_add promises once it accepted key: the value is stored and in range. */
static void check_accepted(const struct query *q, unsigned int allowed, const char *key)
{
	if (q->given & ~allowed)
		fail("a parameter the endpoint does not take was accepted", key, "");
	if ((q->given & QUERY_LIMIT) && (q->limit < 1 || q->limit > QUERY_LIMIT_MAX))
		fail("limit out of range", key, "");
	if ((q->given & QUERY_TOP) && (q->top < 1 || q->top > QUERY_TOP_MAX))
		fail("top out of range", key, "");
	if ((q->given & QUERY_SINCE) && q->since > INT64_MAX)
		fail("since out of range", key, "");
	if ((q->given & QUERY_SYSCALL) && names_syscall_nr(q->syscall) < 0)
		fail("an unknown syscall was accepted", key, q->syscall);
	if ((q->given & QUERY_LEVEL) && q->level > LOG_LEVEL_DEBUG)
		fail("an unknown level was accepted", key, "");
}

/* Returns query_add's result: the socket answers 400 at the first refusal. */
static int add_pair(struct query *q, unsigned int allowed, char *pair)
{
	char err[128], *value = strchr(pair, '=');
	int ret;

	if (value)
		*value++ = '\0';
	unescape(pair);
	if (value)
		unescape(value);
	memset(err, 'X', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	ret = query_add(q, allowed, pair, value, err, sizeof(err));
	if (ret && !strncmp(err, "XXXX", 4))
		fail("rejected without a message", pair, err);
	if (!ret)
		check_accepted(q, allowed, pair);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int allowed;
	struct query q;
	char *buf, *rest, *pair, err[128];
	int ret = 0;

	if (!size)
		return 0;
	allowed = data[0] & QUERY_ALL;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	query_init(&q);
	rest = buf;
	while (!ret && (pair = strsep(&rest, "&")) != NULL)
		if (*pair)
			ret = add_pair(&q, allowed, pair);
	if (!ret && query_require(&q, allowed, err, sizeof(err)) && (q.given & allowed) == allowed)
		fail("every required parameter was given, yet refused", "", err);
	free(buf);
	return 0;
}
