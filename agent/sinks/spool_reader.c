/* The spool's reader: the replay of the segments found at open, and the cursor the producer reads with (from the batch just written, else a file through a read-ahead buffer). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/log.h"
#include "sinks/spool_format.h"
#include "sinks/spool_reader.h"
#include "sinks/spool_segfile.h"
#include "sinks/spool_state.h"

/* spool__read's file reads, a chunk at a time: a backlog costs a pread per chunk, not per record. */
#define READ_AHEAD	(256u << 10)

struct replay_ctx {
	spool_replay_fn fn;
	void *ctx;
	struct spool_pos pos;
};

static void replay_one(void *ctx, const struct spool_record *rec, size_t offset)
{
	struct replay_ctx *r = ctx;
	struct spool_record out = *rec;

	(void)offset;
	out.pos = r->pos;
	out.flags |= SPOOL_REC_REPLAYED;
	r->fn(r->ctx, &out);
	r->pos.index++;
}

int spool__replay(struct spool *sp, spool_replay_fn fn, void *ctx)
{
	struct replay_ctx r = { .fn = fn, .ctx = ctx };
	uint64_t *ids;
	size_t n = 0, i, len;
	uint8_t *data;
	char *path;

	/* fn may ack (and so remove) segments: walk a copy of the ids. */
	ids = malloc((sp->n ? sp->n : 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (i = 0; i < sp->n; i++)
		if (sp->segs[i].id < sp->replay_below)
			ids[n++] = sp->segs[i].id;
	for (i = 0; i < n; i++) {
		path = spool_segfile_path(sp->dir, ids[i]);
		data = path ? spool_segfile_read(path, &len) : NULL;
		if (data) {
			r.pos.segment = ids[i];
			r.pos.index = 0;
			/* Errors were logged and counted at open. */
			spool_format_parse(data, len, replay_one, NULL, &r);
		} else {
			log_error("spool", HM_E_SPOOL_READ,
				  LOG_FIELDS(LF_STR("path", path ? path : sp->dir), LF_ERRNO(errno)),
				  "replaying %s failed: %s", path ? path : sp->dir,
				  strerror(errno));
		}
		free(data);
		free(path);
	}
	free(ids);
	return 0;
}

/* The first segment with an id of at least id, or NULL. */
static struct segment *seg_from(struct spool *sp, uint64_t id)
{
	for (size_t i = 0; i < sp->n; i++)
		if (sp->segs[i].id >= id)
			return &sp->segs[i];
	return NULL;
}

/* A descriptor on segment id for reading, kept until the reader moves on. */
static int reader_fd(struct spool *sp, uint64_t id)
{
	char *path;

	if (sp->rfd >= 0 && sp->rfd_id == id)
		return sp->rfd;
	if (sp->rfd >= 0)
		close(sp->rfd);
	sp->rfd = -1;
	path = spool_segfile_path(sp->dir, id);
	if (!path)
		return -ENOMEM;
	sp->rfd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (sp->rfd < 0)
		return -errno;
	sp->rfd_id = id;
	return sp->rfd;
}

/* Segment id's bytes from off in the batch last committed, *avail of them; NULL when not there. */
static const uint8_t *from_batch(const struct spool *sp, uint64_t id, uint64_t off, size_t *avail)
{
	for (size_t i = 0; i < sp->nparts; i++) {
		const struct batch_part *p = &sp->parts[i];

		if (p->segment == id && off >= p->off && off - p->off < p->len) {
			*avail = p->len - (off - p->off);
			return sp->last.data + p->at + (off - p->off);
		}
	}
	return NULL;
}

/*
 * need bytes of s from off (the caller knows they are in the file), through
 * the read-ahead buffer: refilled from off, READ_AHEAD bytes or need if
 * more, when it does not hold them. 0, -ENODATA when the file is shorter
 * than the spool wrote, or -errno.
 */
static int from_file(struct spool *sp, const struct segment *s, uint64_t off, size_t need,
		     const uint8_t **p)
{
	struct spool_buf *ra = &sp->ahead;
	size_t want = need > READ_AHEAD ? need : READ_AHEAD;
	ssize_t got;
	int fd;

	if (ra->data && sp->ahead_seg == s->id && off >= sp->ahead_off &&
	    off - sp->ahead_off <= ra->len && need <= ra->len - (off - sp->ahead_off)) {
		*p = ra->data + (off - sp->ahead_off);
		return 0;
	}
	if (want > s->bytes - off)
		want = s->bytes - off;
	sp->ahead_seg = 0;
	ra->len = 0;
	if (spool_buf_reserve(ra, want))
		return -ENOMEM;
	fd = reader_fd(sp, s->id);
	if (fd < 0)
		return fd;
	got = pread(fd, ra->data, want, (off_t)off);
	sp->st.file_reads++;
	if (got < 0)
		return -errno;
	if ((size_t)got < need)
		return -ENODATA;
	ra->len = (size_t)got;
	sp->ahead_seg = s->id;
	sp->ahead_off = off;
	*p = ra->data;
	return 0;
}

enum { REC_GOOD, REC_SKIP, REC_END };

/*
 * The record at cur in s into *rec: REC_GOOD, REC_SKIP for a CRC mismatch
 * (rec->size set; not a record: its index is the next one's), REC_END when
 * nothing after it can be trusted, or -errno. As spool_format_parse judges at open,
 * so indexes agree. What the batch just written holds is taken as written.
 */
static int read_record(struct spool *sp, const struct segment *s, const struct spool_cursor *cur,
		       struct spool_record *rec)
{
	uint64_t left = cur->offset < s->bytes ? s->bytes - cur->offset : 0;
	const uint8_t *p;
	size_t avail;
	int err;

	if (left < SPOOL_HDR_LEN_V1)
		return REC_END;
	p = from_batch(sp, s->id, cur->offset, &avail);
	if (p)
		return spool_format_header_at(p, avail, rec) && rec->size <= avail ? REC_GOOD : REC_END;
	avail = left < SPOOL_HDR_LEN ? left : SPOOL_HDR_LEN;
	err = from_file(sp, s, cur->offset, avail, &p);
	if (!err && (!spool_format_header_at(p, avail, rec) || rec->size > left))
		return REC_END;
	if (!err)
		err = from_file(sp, s, cur->offset, rec->size, &p);
	if (err)
		return err == -ENODATA ? REC_END : err;
	rec->payload = p + (rec->size - rec->len);
	return spool_format_crc_ok(p, rec) ? REC_GOOD : REC_SKIP;
}

/* Moves cur to the start of segment id. */
static void cursor_to(struct spool_cursor *cur, uint64_t id)
{
	cur->segment = id;
	cur->index = 0;
	cur->offset = 0;
}

int spool__read(struct spool *sp, struct spool_cursor *cur, struct spool_record *rec)
{
	struct segment *s;
	int r;

	for (;;) {
		s = seg_from(sp, cur->segment);
		if (!s)
			return -ENOENT;
		if (s->id != cur->segment)
			cursor_to(cur, s->id);	/* evicted or fully acknowledged meanwhile */
		r = cur->index < s->records ? read_record(sp, s, cur, rec) : REC_END;
		if (r < 0)
			return r;
		if (r == REC_END) {
			/* More may come to it: records staged for it, or it is the last. */
			if (s->staged || s == &sp->segs[sp->n - 1])
				return -ENOENT;
			cursor_to(cur, s->id + 1);
			continue;
		}
		if (r == REC_SKIP) {
			/* A CRC mismatch: counted at open, not a record (its index is the next one's). */
			cur->offset += rec->size;
			continue;
		}
		if (!spool_seg_acked(s, cur->index))
			break;
		spool__advance(cur, rec);
	}
	rec->pos.segment = s->id;
	rec->pos.index = cur->index;
	if (s->id < sp->replay_below)
		rec->flags |= SPOOL_REC_REPLAYED;
	return 0;
}

void spool__advance(struct spool_cursor *cur, const struct spool_record *rec)
{
	cur->offset += rec->size;
	cur->index++;
}
