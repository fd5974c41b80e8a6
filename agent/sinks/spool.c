/* The Kafka spool's segments: found and checked at open, records staged and committed in batches, acknowledged, evicted oldest first, compacted at close. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/log.h"
#include "sinks/spool.h"
#include "sinks/spool_format.h"
#include "sinks/spool_segfile.h"
#include "sinks/spool_state.h"

/* A batch buffer grown past this by a burst is freed after its commit rather than kept. */
#define BATCH_KEEP_MAX	(4u << 20)

struct check_ctx {
	struct spool *sp;
	const char *path;
	uint64_t damaged;	/* places skipped in this segment */
};

static void log_corrupt(void *ctx, size_t offset, const char *why)
{
	struct check_ctx *c = ctx;

	c->damaged++;
	c->sp->st.corrupt++;
	log_error("spool", HM_E_SPOOL_CORRUPT,
		  LOG_FIELDS(LF_STR("path", c->path), LF_INT("offset", offset)),
		  "%s at offset %zu: %s: skipped (%" PRIu64 " corrupt records so far)",
		  c->path, offset, why, c->sp->st.corrupt);
}

/* A new last segment; on_disk: its file exists (a found one). */
static struct segment *seg_add(struct spool *sp, uint64_t id, bool on_disk)
{
	struct segment *s;

	if (sp->n == sp->cap || !sp->segs) {
		size_t cap = sp->cap ? sp->cap * 2 : 16;
		struct segment *grown = realloc(sp->segs, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		sp->segs = grown;
		sp->cap = cap;
	}
	s = &sp->segs[sp->n++];
	*s = (struct segment){ .id = id, .on_disk = on_disk };
	sp->st.segments++;
	return s;
}

/*
 * Deletes segment i (file and entry); its unacknowledged records leave the
 * count. Its staged records are the caller's to take out of the batch.
 */
static void seg_remove(struct spool *sp, size_t i)
{
	struct segment *s = &sp->segs[i];
	char *path = s->on_disk ? spool_segfile_path(sp->dir, s->id) : NULL;

	if (s->on_disk && (!path || (unlink(path) && errno != ENOENT)))
		log_error("spool", HM_E_SPOOL_REMOVE, LOG_FIELDS(LF_STR("path", sp->dir), LF_ERRNO(errno)),
			  "removing segment %" PRIu64 " in %s failed: %s", s->id, sp->dir,
			  strerror(errno));
	free(path);
	sp->st.bytes -= s->bytes;
	sp->st.records -= s->records - s->acked + s->staged;
	sp->st.segments--;
	free(s->acked_bits);
	memmove(s, s + 1, (sp->n - i - 1) * sizeof(*s));
	sp->n--;
}

static bool is_writing(const struct spool *sp, size_t i)
{
	return sp->fd >= 0 && sp->segs[i].id == sp->fd_seg;
}

static int rewrite(struct spool *sp, uint64_t id, uint64_t skip, uint64_t *bytes);

/* A found segment: checked record by record, kept if anything in it is good. */
static int load_segment(struct spool *sp, uint64_t id)
{
	struct check_ctx c = { .sp = sp };
	struct segment *s;
	uint8_t *data;
	size_t len;
	char *path = spool_segfile_path(sp->dir, id);

	if (!path)
		return -ENOMEM;
	c.path = path;
	data = spool_segfile_read(path, &len);
	if (!data) {
		log_error("spool", HM_E_SPOOL_READ, LOG_FIELDS(LF_STR("path", path), LF_ERRNO(errno)),
			  "reading %s failed: %s: segment skipped", path, strerror(errno));
		free(path);
		return 0;
	}
	s = seg_add(sp, id, true);
	if (s) {
		s->records = spool_format_parse(data, len, NULL, log_corrupt, &c);
		s->bytes = len;
		/*
		 * Damage (counted and logged above) is cut out once, here: the
		 * reader then meets only intact records, in order.
		 */
		if (c.damaged && s->records && !rewrite(sp, id, 0, &s->bytes))
			log_info("spool", "%s rewritten with its %" PRIu64 " intact records", path,
				 s->records);
		sp->st.bytes += s->bytes;
		sp->st.records += s->records;
		if (!s->records)
			seg_remove(sp, sp->n - 1);
	}
	free(data);
	free(path);
	return s ? 0 : -ENOMEM;
}

/* The segments already in sp->dir (created if missing), checked and kept; new ones get ids after theirs. */
static int find_segments(struct spool *sp)
{
	const char *dir = sp->dir;
	uint64_t *ids = NULL;
	size_t n = 0, i;
	int err;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		log_error("spool", HM_E_SPOOL_OPEN, LOG_FIELDS(LF_STR("path", dir), LF_ERRNO(-err)),
			  "creating %s failed: %s", dir, strerror(-err));
		return err;
	}
	err = spool_segfile_list(dir, &ids, &n);
	if (err) {
		log_error("spool", HM_E_SPOOL_OPEN, LOG_FIELDS(LF_STR("path", dir), LF_ERRNO(-err)),
			  "listing %s failed: %s", dir, strerror(-err));
		return err;
	}
	for (i = 0; i < n && !err; i++)
		err = load_segment(sp, ids[i]);
	sp->replay_below = n ? ids[n - 1] + 1 : 1;
	sp->next_id = sp->replay_below;
	free(ids);
	return err;
}

struct spool *spool__open(const char *dir, uint64_t max_bytes, uint64_t segment_bytes)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	int err = -ENOMEM;

	if (!sp)
		goto fail;
	/* Before anything can fail: spool__free closes descriptors that are not -1. */
	sp->fd = -1;
	sp->rfd = -1;
	sp->dir = strdup(dir);
	if (!sp->dir)
		goto fail;
	sp->max_bytes = max_bytes;
	sp->segment_bytes = segment_bytes;
	err = find_segments(sp);
	if (err)
		goto fail;
	if (sp->n)
		log_info("spool", "%s: %" PRIu64 " records in %" PRIu64 " segments to replay", dir,
			 sp->st.records, sp->st.segments);
	return sp;
fail:
	spool__free(sp);
	errno = -err;
	return NULL;
}


static void seal(struct spool *sp);

struct compact_ctx {
	const uint8_t *data;
	FILE *out;
	uint64_t skip;	/* the acknowledged prefix */
	uint64_t index;
	bool failed;
};

/* Copies a record as it is, header and all: a v1 record stays v1. */
static void keep_unacked(void *ctx, const struct spool_record *rec, size_t offset)
{
	struct compact_ctx *c = ctx;

	if (c->index++ < c->skip)
		return;
	if (fwrite(c->data + offset, rec->size, 1, c->out) != 1)
		c->failed = true;
}

/*
 * Rewrites segment id with its good records after the first skip (through a
 * temporary file, synced, renamed over it); *bytes gets the new size. Left
 * whole on any failure (-errno): duplicates or a damaged record met again,
 * never a loss.
 */
static int rewrite(struct spool *sp, uint64_t id, uint64_t skip, uint64_t *bytes)
{
	struct compact_ctx c = { .skip = skip };
	char *path = spool_segfile_path(sp->dir, id), *tmp = NULL;
	uint8_t *data = NULL;
	size_t len;
	long size = -1;
	int ret = -EIO;

	if (!path || asprintf(&tmp, "%s.tmp", path) < 0 || !(data = spool_segfile_read(path, &len)) ||
	    !(c.out = fopen(tmp, "we")))
		goto out;
	c.data = data;
	spool_format_parse(data, len, keep_unacked, NULL, &c);
	/* Synced before the rename: a crash then leaves the old file or the new one whole. */
	if (fflush(c.out) || fsync(fileno(c.out)) || (size = ftell(c.out)) < 0)
		c.failed = true;
	if (fclose(c.out) || c.failed || rename(tmp, path)) {
		unlink(tmp);
		goto out;
	}
	*bytes = (uint64_t)size;
	ret = 0;
out:
	free(data);
	free(tmp);
	free(path);
	return ret;
}

/* At a clean stop: the acknowledged prefix goes, so the next start does not send it again. */
static void compact(struct spool *sp, const struct segment *s)
{
	uint64_t bytes;

	if (!rewrite(sp, s->id, s->acked, &bytes))
		log_info("spool", "segment %" PRIu64 " in %s: %" PRIu64 " delivered records dropped, %"
			 PRIu64 " kept", s->id, sp->dir, s->acked, s->records - s->acked);
}

/*
 * What is staged is written; the segment being written is sealed: gone if
 * all its records were acknowledged. Segments acknowledged in part (in
 * order) lose that part.
 */
void spool__free(struct spool *sp)
{
	size_t i;

	if (!sp)
		return;
	if (sp->stage.len > sp->stage_start && spool__commit(sp, NULL, NULL))
		log_error("spool", HM_E_SPOOL_WRITE, LOG_FIELDS(LF_STR("path", sp->dir)),
			  "%s: records staged at close not written: lost", sp->dir);
	if (sp->fd >= 0)
		seal(sp);
	for (i = 0; i < sp->n; i++)
		if (sp->segs[i].acked && !sp->segs[i].unordered)
			compact(sp, &sp->segs[i]);
	for (i = 0; i < sp->n; i++)
		free(sp->segs[i].acked_bits);
	if (sp->rfd >= 0)
		close(sp->rfd);
	free(sp->stage.data);
	free(sp->last.data);
	free(sp->ahead.data);
	free(sp->parts);
	free(sp->segs);
	free(sp->dir);
	free(sp);
}

/* Bytes staged and not evicted: the batch spool__commit would write. */
static uint64_t staged_bytes(const struct spool *sp)
{
	return sp->stage.len - sp->stage_start;
}

static void evict_oldest(struct spool *sp)
{
	struct segment *s = &sp->segs[0];
	uint64_t lost = s->records - s->acked + s->staged;

	if (is_writing(sp, 0)) {
		close(sp->fd);
		sp->fd = -1;
	}
	/* Only the last segments have staged records: this one's lead the batch. */
	sp->stage_start += s->staged_bytes;
	sp->st.evicted += lost;
	log_warn("spool", HM_E_SPOOL_FULL, LOG_FIELDS(LF_STR("path", sp->dir)),
		 "%s full (%" PRIu64 " bytes): segment %" PRIu64 " evicted, %" PRIu64
		 " records never delivered (%" PRIu64 " evicted so far)", sp->dir, sp->max_bytes,
		 s->id, lost, sp->st.evicted);
	seg_remove(sp, 0);
}

/* The index of segment id, or -1. */
static ssize_t seg_index(const struct spool *sp, uint64_t id)
{
	for (size_t i = 0; i < sp->n; i++)
		if (sp->segs[i].id == id)
			return (ssize_t)i;
	return -1;
}

/* Closes the segment being written; it goes at once if everything in it was acknowledged. */
static void seal(struct spool *sp)
{
	ssize_t i = seg_index(sp, sp->fd_seg);

	close(sp->fd);
	sp->fd = -1;
	if (i >= 0 && sp->segs[i].acked >= sp->segs[i].records && !sp->segs[i].staged)
		seg_remove(sp, (size_t)i);
}

/* The segment a need-byte record goes to: the last while it is open and has room, else a new one. */
static struct segment *stage_target(struct spool *sp, uint64_t need)
{
	struct segment *s = sp->n ? &sp->segs[sp->n - 1] : NULL;
	uint64_t used;

	if (s && (is_writing(sp, sp->n - 1) || !s->on_disk)) {
		used = s->bytes + s->staged_bytes;
		if (!used || used + need <= sp->segment_bytes)
			return s;
	}
	return seg_add(sp, sp->next_id++, false);
}

int spool__stage(struct spool *sp, const struct spool_meta *meta, const void *payload,
		 uint32_t len, struct spool_pos *pos)
{
	uint64_t need = SPOOL_HDR_LEN + (uint64_t)len;
	struct segment *s;
	uint8_t *at;

	if (len > SPOOL_RECORD_MAX || need > sp->max_bytes)
		return -EMSGSIZE;
	/* Memory first: a record refused for want of it evicts nothing. */
	if (spool_buf_reserve(&sp->stage, need))
		return -ENOMEM;
	while (sp->n && sp->st.bytes + staged_bytes(sp) + need > sp->max_bytes)
		evict_oldest(sp);
	s = stage_target(sp, need);
	if (!s)
		return -ENOMEM;
	at = sp->stage.data + sp->stage.len;
	spool_format_header(at, meta, payload, len);
	if (len)
		memcpy(at + SPOOL_HDR_LEN, payload, len);
	sp->stage.len += need;
	if (pos) {
		pos->segment = s->id;
		pos->index = s->records + s->staged;
	}
	s->staged++;
	s->staged_bytes += need;
	sp->st.records++;
	return 0;
}

/* A descriptor appending to segment s, created if the batch opened it. */
static int start_segment(struct spool *sp, struct segment *s)
{
	int flags = O_WRONLY | O_APPEND | O_CLOEXEC | (s->on_disk ? 0 : O_CREAT | O_EXCL);
	char *path = spool_segfile_path(sp->dir, s->id);
	int err = 0;

	if (!path)
		return -ENOMEM;
	sp->fd = open(path, flags, 0600);
	if (sp->fd < 0) {
		err = -errno;
		log_error("spool", HM_E_SPOOL_WRITE, LOG_FIELDS(LF_STR("path", path), LF_ERRNO(-err)),
			  "opening %s failed: %s", path, strerror(-err));
	} else {
		sp->fd_seg = s->id;
		s->on_disk = true;
	}
	free(path);
	return err;
}

/* Notes where part of the batch went, for spool__read; without memory it reads the file instead. */
static void note_part(struct spool *sp, const struct segment *s, size_t at)
{
	struct batch_part *grown;
	size_t cap;

	if (sp->nparts == sp->parts_cap) {
		cap = sp->parts_cap ? sp->parts_cap * 2 : 4;
		grown = realloc(sp->parts, cap * sizeof(*grown));
		if (!grown)
			return;
		sp->parts = grown;
		sp->parts_cap = cap;
	}
	sp->parts[sp->nparts++] = (struct batch_part){
		.segment = s->id, .off = s->bytes, .at = at, .len = s->staged_bytes,
	};
}

/* The staged records of segment id (the first with any), from stage byte at, in one write. */
static int write_part(struct spool *sp, uint64_t id, size_t at)
{
	ssize_t i = seg_index(sp, id), w;
	struct segment *s;
	int err;

	if (sp->fd >= 0 && sp->fd_seg != id) {
		seal(sp);	/* a previous segment: indexes may move */
		i = seg_index(sp, id);
	}
	s = &sp->segs[i];
	if (sp->fd < 0 && (err = start_segment(sp, s)))
		return err;
	w = write(sp->fd, sp->stage.data + at, s->staged_bytes);
	if (w == (ssize_t)s->staged_bytes) {
		note_part(sp, s, at);
		s->records += s->staged;
		s->bytes += s->staged_bytes;
		sp->st.bytes += s->staged_bytes;
		s->staged = s->staged_bytes = 0;
		return 0;
	}
	err = w < 0 ? -errno : -ENOSPC;
	/* Cut a partial write off so the segment stays well-formed. */
	if (w > 0 && ftruncate(sp->fd, s->bytes))
		log_error("spool", HM_E_SPOOL_WRITE, LOG_FIELDS(LF_STR("path", sp->dir), LF_ERRNO(errno)),
			  "truncating segment %" PRIu64 " failed: %s", s->id, strerror(errno));
	log_error("spool", HM_E_SPOOL_WRITE, LOG_FIELDS(LF_STR("path", sp->dir), LF_ERRNO(-err)),
		  "writing segment %" PRIu64 " in %s failed: %s", s->id, sp->dir, strerror(-err));
	return err;
}

struct hand_back {
	spool_unwritten_fn fn;
	void *ctx;
	int err;
};

static void hand_back_one(void *ctx, const struct spool_record *rec, size_t offset)
{
	struct hand_back *h = ctx;

	(void)offset;
	h->fn(h->ctx, rec, h->err);
}

/*
 * A commit failed at stage byte at: the records from there go back to the
 * caller and leave the spool; segments the batch opened and could not
 * create go too.
 */
static void unwritten(struct spool *sp, size_t at, int err, spool_unwritten_fn fn, void *ctx)
{
	struct hand_back h = { .fn = fn, .ctx = ctx, .err = err };

	if (fn)
		spool_format_parse(sp->stage.data + at, sp->stage.len - at, hand_back_one, NULL, &h);
	for (size_t i = sp->n; i-- > 0;) {
		struct segment *s = &sp->segs[i];

		if (!s->staged)
			continue;
		sp->st.records -= s->staged;
		s->staged = s->staged_bytes = 0;
		if (!s->on_disk)
			seg_remove(sp, i);
	}
}

/* The first segment with staged records, or NULL. */
static const struct segment *first_staged(const struct spool *sp)
{
	for (size_t i = 0; i < sp->n; i++)
		if (sp->segs[i].staged)
			return &sp->segs[i];
	return NULL;
}

int spool__commit(struct spool *sp, spool_unwritten_fn unwritten_fn, void *ctx)
{
	const struct segment *s;
	size_t at = sp->stage_start;
	struct spool_buf done;
	int err = 0;

	if (!staged_bytes(sp)) {
		sp->stage.len = sp->stage_start = 0;
		return 0;
	}
	sp->nparts = 0;
	while (!err && (s = first_staged(sp))) {
		size_t len = s->staged_bytes;

		err = write_part(sp, s->id, at);
		if (!err)
			at += len;
	}
	if (err)
		unwritten(sp, at, err, unwritten_fn, ctx);
	/* The batch stays for spool__read; the one before gives its buffer to the next. */
	done = sp->stage;
	sp->stage = sp->last;
	sp->last = done;
	sp->stage.len = sp->stage_start = 0;
	if (sp->stage.cap > BATCH_KEEP_MAX) {
		free(sp->stage.data);
		memset(&sp->stage, 0, sizeof(sp->stage));
	}
	return err;
}

int spool__append(struct spool *sp, const struct spool_meta *meta, const void *payload,
		  uint32_t len, struct spool_pos *pos)
{
	int err = spool__stage(sp, meta, payload, len, pos);

	return err ? err : spool__commit(sp, NULL, NULL);
}

/*
 * Marks record index of s acknowledged; false if it already was. Without
 * memory for the bit it counts anyway: a lost duplicate check, never a lost record.
 */
static bool mark_acked(struct segment *s, uint32_t index)
{
	size_t byte = index / 8, len;
	uint8_t *grown;

	if (byte >= s->bits_len) {
		len = byte + 1 > 2 * s->bits_len ? byte + 1 : 2 * s->bits_len;
		grown = realloc(s->acked_bits, len);
		if (!grown)
			return true;
		memset(grown + s->bits_len, 0, len - s->bits_len);
		s->acked_bits = grown;
		s->bits_len = len;
	}
	if (s->acked_bits[byte] & (1u << index % 8))
		return false;
	s->acked_bits[byte] |= 1u << index % 8;
	return true;
}

void spool__ack(struct spool *sp, const struct spool_pos *pos)
{
	size_t i;

	for (i = sp->n; i-- > 0;) {
		struct segment *s = &sp->segs[i];

		if (s->id != pos->segment)
			continue;
		/* An ack past the count would be a caller bug; never underflow. */
		if (s->acked < s->records && pos->index < s->records && mark_acked(s, pos->index)) {
			s->unordered |= pos->index != s->acked;
			s->acked++;
			sp->st.records--;
		}
		if (s->acked >= s->records && !s->staged && !is_writing(sp, i))
			seg_remove(sp, i);
		return;
	}
	/* Its segment was evicted: the record was counted there. */
}

bool spool__pending(const struct spool *sp, const struct spool_pos *pos)
{
	for (size_t i = 0; i < sp->n; i++)
		if (sp->segs[i].id == pos->segment)
			return pos->index < sp->segs[i].records && !spool_seg_acked(&sp->segs[i], pos->index);
	return false;
}

void spool__stats(const struct spool *sp, struct spool_stats *out)
{
	*out = sp->st;
	out->staged = 0;
	for (size_t i = 0; i < sp->n; i++)
		out->staged += sp->segs[i].staged;
}
