/* What the spool's unit tests share (include after cmocka.h): records seen through the callbacks, the meta they give records, a v1 record, a temporary spool directory. */
#ifndef HOSTMON_TEST_SPOOL_SEEN_H
#define HOSTMON_TEST_SPOOL_SEEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "sinks/spool_format.h"

#define MAX_SEEN 64

struct seen {
	char payload[MAX_SEEN][64];
	struct spool_meta meta[MAX_SEEN];
	uint32_t flags[MAX_SEEN];
	struct spool_pos pos[MAX_SEEN];
	size_t offsets[MAX_SEEN];
	size_t errors[MAX_SEEN];
	const char *why[MAX_SEEN];
	int n;
	int nerr;
};

static inline void on_record(void *ctx, const struct spool_record *rec, size_t offset)
{
	struct seen *s = ctx;

	assert_true(s->n < MAX_SEEN && rec->len < 64);
	memcpy(s->payload[s->n], rec->payload, rec->len);
	s->payload[s->n][rec->len] = '\0';
	s->meta[s->n] = rec->meta;
	s->flags[s->n] = rec->flags;
	s->offsets[s->n++] = offset;
}

static inline void on_error(void *ctx, size_t offset, const char *why)
{
	struct seen *s = ctx;

	s->why[s->nerr] = why;
	s->errors[s->nerr++] = offset;
}

static inline void on_replay(void *ctx, const struct spool_record *rec)
{
	struct seen *s = ctx;

	s->pos[s->n] = rec->pos;
	on_record(ctx, rec, 0);
}

/* The meta the tests give record i: kind, seq and ts_ns told apart by their values. */
static inline struct spool_meta meta_of(uint64_t i)
{
	return (struct spool_meta){ .kind = (uint32_t)(i % 6), .seq = 1000 + i,
				    .ts_ns = 1700000000000000000ULL + i };
}

/* A record in the version 1 layout, as agents before HMS2 wrote it: magic, length, CRC of the payload. */
static inline size_t v1_record(uint8_t *buf, const char *payload)
{
	uint32_t len = strlen(payload), crc = crc32(0L, (const uint8_t *)payload, len);
	uint8_t hdr[SPOOL_HDR_LEN_V1] = { 'H', 'M', 'S', '1', len, len >> 8, len >> 16, len >> 24,
					  crc, crc >> 8, crc >> 16, crc >> 24 };

	memcpy(buf, hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), payload, len);
	return sizeof(hdr) + len;
}

static char dir[] = "/tmp/test_spool.XXXXXX";

static inline int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_spool.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static inline int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

#endif /* HOSTMON_TEST_SPOOL_SEEN_H */
