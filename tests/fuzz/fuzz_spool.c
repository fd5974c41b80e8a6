/* libFuzzer target: arbitrary bytes as a spool segment, walked by spool_parse
 * and then found on disk by spool__open, replayed, acknowledged and closed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "spool.h"

#define SEG_NAME	"00000000000000000007.seg"

static char dir[] = "/tmp/hostmon-fuzz-spool.XXXXXX";

struct walk {
	const uint8_t *data;
	size_t len;
	size_t next;		/* the lowest offset the next record may start at */
	uint64_t good, bad;
	uint64_t good_bytes;	/* headers and payloads of the good records */
	int fatal;		/* a walk-ending error was seen */
};

static void fail(const char *why, size_t offset)
{
	fprintf(stderr, "fuzz_spool: %s (offset %zu)\n", why, offset);
	abort();
}

static void on_record(void *ctx, const uint8_t *payload, uint32_t len, size_t offset)
{
	struct walk *w = ctx;

	if (w->fatal || offset < w->next || offset + SPOOL_HDR_LEN + len > w->len ||
	    payload != w->data + offset + SPOOL_HDR_LEN)
		fail("record out of order or past the end", offset);
	if (crc32(0L, payload, len) != (w->data[offset + 8] | w->data[offset + 9] << 8 |
					w->data[offset + 10] << 16 |
					(uint32_t)w->data[offset + 11] << 24))
		fail("record handed over with a bad CRC", offset);
	w->next = offset + SPOOL_HDR_LEN + len;
	w->good++;
	w->good_bytes += SPOOL_HDR_LEN + len;
}

static void on_error(void *ctx, size_t offset, const char *why)
{
	struct walk *w = ctx;

	if (w->fatal || offset < w->next || offset >= w->len)
		fail("error after the end of the walk", offset);
	w->bad++;
	/* A torn tail ends the walk; a CRC mismatch or a damaged header with an intact record after it does not. */
	w->fatal = !strcmp(why, "truncated record header") || strstr(why, "nothing intact") != NULL;
	/* After a damaged header the walk resumes at a later intact record. */
	w->next = offset + (strcmp(why, "CRC mismatch") ? 1 : SPOOL_HDR_LEN);
}

static void write_segment(const uint8_t *data, size_t size)
{
	char path[sizeof(dir) + sizeof(SEG_NAME) + 1];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, SEG_NAME);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd))
		fail("cannot write the segment", 0);
}

/* Leaves the temporary directory empty for the next input. */
static void empty_dir(void)
{
	char path[sizeof(dir) + 300];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		fail("cannot list the spool directory", 0);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
}

struct replay {
	struct spool *sp;
	uint64_t n;
	uint32_t last_len, last_crc;	/* the record the close must keep */
};

static void on_replay(void *ctx, const uint8_t *payload, uint32_t len, const struct spool_pos *pos)
{
	struct replay *r = ctx;

	if (pos->segment != 7 || pos->index != r->n)
		fail("replay positions not in order", pos->index);
	r->n++;
	r->last_len = len;
	r->last_crc = crc32(0L, payload, len);
}

struct kept {
	uint64_t good, bad;
	uint32_t len, crc;
};

static void on_kept(void *ctx, const uint8_t *payload, uint32_t len, size_t offset)
{
	struct kept *k = ctx;

	(void)offset;
	k->good++;
	k->len = len;
	k->crc = crc32(0L, payload, len);
}

static void on_kept_error(void *ctx, size_t offset, const char *why)
{
	(void)why;
	(void)offset;
	((struct kept *)ctx)->bad++;
}

/* A segment acknowledged in order but for its last record is rewritten to that record alone. */
static void check_compacted(const struct replay *r, size_t size)
{
	char path[sizeof(dir) + sizeof(SEG_NAME) + 1];
	uint8_t *buf = malloc(size + 1);	/* the rewrite is never longer than the input */
	struct kept k = { 0 };
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, SEG_NAME);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!buf || fd < 0)
		fail("the segment with an unacknowledged record is gone", 0);
	got = read(fd, buf, size + 1);
	close(fd);
	if (got < 0 || (size_t)got > size)
		fail("cannot read the compacted segment, or it grew", 0);
	spool_parse(buf, (size_t)got, on_kept, on_kept_error, &k);
	free(buf);
	if (k.good != 1 || k.bad || k.len != r->last_len || k.crc != r->last_crc)
		fail("the compacted segment is not the unacknowledged record alone", (size_t)got);
}

static void check_spool(size_t size, const struct walk *w)
{
	struct replay r = { 0 };
	struct spool_stats st;
	struct spool_pos pos = { .segment = 7 };

	r.sp = spool__open(dir, 1 << 20, 64 << 10);
	if (!r.sp)
		fail("spool__open failed on a readable directory", 0);
	spool__stats(r.sp, &st);
	/* A damaged segment is rewritten at open with its good records only. */
	if (st.records != w->good || st.corrupt != w->bad || st.segments != (w->good > 0) ||
	    st.bytes != (w->good ? (w->bad ? w->good_bytes : size) : 0))
		fail("open's figures differ from spool_parse's", 0);
	if (spool__replay(r.sp, on_replay, &r) || r.n != w->good)
		fail("replay did not hand over every good record", 0);
	/* Every record but the last, in order: the close keeps only that one. */
	for (pos.index = 0; pos.index + 1 < r.n; pos.index++)
		spool__ack(r.sp, &pos);
	spool__free(r.sp);
	if (r.n > 1)
		check_compacted(&r, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walk w = { .data = data, .len = size };
	uint64_t good;

	good = spool_parse(data, size, on_record, on_error, &w);
	if (good != w.good)
		fail("returned count differs from the records handed over", 0);
	/* No input, no file: open then lists an empty directory. */
	if (size)
		write_segment(data, size);
	check_spool(size, &w);
	empty_dir();
	return 0;
}

static void remove_dir(void)
{
	empty_dir();
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		fail("mkdtemp failed", 0);
	atexit(remove_dir);
	return 0;
}
