/* Kafka spool: segment files of CRC-checked records, appended, acknowledged, evicted oldest-first, replayed at start. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>
#include "log.h"
#include "spool.h"

struct segment {
	uint64_t id;
	uint64_t records; /* good records in the file */
	uint64_t acked;
	uint64_t bytes;
	bool unordered;	/* acked out of index order: acked records are not a prefix */
	uint8_t *acked_bits;	/* bit i: record i acknowledged; grown as acks come */
	size_t bits_len;	/* bytes */
};

struct spool {
	char *dir;
	uint64_t max_bytes;
	uint64_t segment_bytes;
	struct segment *segs; /* by id; the last one is being written when fd >= 0 */
	size_t n;
	size_t cap;
	uint64_t replay_below; /* segments found at open have smaller ids */
	uint64_t next_id;
	int fd;
	int rfd;		/* the segment spool__read reads, rfd_id */
	uint64_t rfd_id;
	struct spool_stats st;
};

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

void spool_record_header(uint8_t hdr[SPOOL_HDR_LEN], const void *payload, uint32_t len)
{
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): 4 bytes, not a string */
	memcpy(hdr, SPOOL_MAGIC, 4);
	put_le32(hdr + 4, len);
	put_le32(hdr + 8, crc32(0L, payload, len));
}

/* A whole, intact record at off: magic, a length inside the data, its CRC. */
static bool record_at(const uint8_t *data, size_t len, size_t off, uint32_t *n)
{
	if (len - off < SPOOL_HDR_LEN || memcmp(data + off, SPOOL_MAGIC, 4))
		return false;
	*n = get_le32(data + off + 4);
	return *n <= SPOOL_RECORD_MAX && *n <= len - off - SPOOL_HDR_LEN &&
	       crc32(0L, data + off + SPOOL_HDR_LEN, *n) == get_le32(data + off + 8);
}

/* The next intact record after a damaged header at off, or len when none follows. */
static size_t resync(const uint8_t *data, size_t len, size_t off)
{
	const uint8_t *p;
	uint32_t n;

	while (++off < len && (p = memmem(data + off, len - off, SPOOL_MAGIC, 4))) {
		off = (size_t)(p - data);
		if (record_at(data, len, off, &n))
			return off;
	}
	return len;
}

uint64_t spool_parse(const uint8_t *data, size_t len, spool_record_fn on_record,
		     spool_error_fn on_error, void *ctx)
{
	uint64_t good = 0;
	size_t off = 0, next;
	uint32_t n;

	while (off < len) {
		if (len - off < SPOOL_HDR_LEN) {
			on_error(ctx, off, "truncated record header");
			break;
		}
		n = get_le32(data + off + 4);
		if (memcmp(data + off, SPOOL_MAGIC, 4) || n > SPOOL_RECORD_MAX ||
		    n > len - off - SPOOL_HDR_LEN) {
			/* A damaged header: whatever intact record follows is still good. */
			next = resync(data, len, off);
			on_error(ctx, off, next == len ? "bad record header or truncated record, "
				 "nothing intact after it" : "bad record header, skipped to the next "
				 "intact record");
			off = next;
			continue;
		}
		if (crc32(0L, data + off + SPOOL_HDR_LEN, n) != get_le32(data + off + 8)) {
			on_error(ctx, off, "CRC mismatch");
		} else {
			if (on_record)
				on_record(ctx, data + off + SPOOL_HDR_LEN, n, off);
			good++;
		}
		off += SPOOL_HDR_LEN + n;
	}
	return good;
}

static char *seg_path(const struct spool *sp, uint64_t id)
{
	char *path;

	if (asprintf(&path, "%s/%020" PRIu64 ".seg", sp->dir, id) < 0)
		return NULL;
	return path;
}

/* A whole segment file in memory (segments are small); NULL with errno set. */
static uint8_t *read_file(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	struct stat stt;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &stt) || !(buf = malloc(stt.st_size ? stt.st_size : 1)))
		goto fail;
	got = pread(fd, buf, stt.st_size, 0);
	if (got < 0)
		goto fail;
	*len = got;
	close(fd);
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

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

static void ignore_error(void *ctx, size_t offset, const char *why)
{
	(void)ctx;
	(void)offset;
	(void)why;
}

static struct segment *seg_add(struct spool *sp, uint64_t id)
{
	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 16;
		struct segment *grown = realloc(sp->segs, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		sp->segs = grown;
		sp->cap = cap;
	}
	memset(&sp->segs[sp->n], 0, sizeof(*sp->segs));
	sp->segs[sp->n].id = id;
	sp->st.segments++;
	return &sp->segs[sp->n++];
}

/* Deletes segment i (file and entry); its unacknowledged records leave the count. */
static void seg_remove(struct spool *sp, size_t i)
{
	struct segment *s = &sp->segs[i];
	char *path = seg_path(sp, s->id);

	if (!path || (unlink(path) && errno != ENOENT))
		log_error("spool", HM_E_SPOOL_REMOVE, LOG_FIELDS(LF_STR("path", sp->dir), LF_ERRNO(errno)),
			  "removing segment %" PRIu64 " in %s failed: %s", s->id, sp->dir,
			  strerror(errno));
	free(path);
	sp->st.bytes -= s->bytes;
	sp->st.records -= s->records - s->acked;
	sp->st.segments--;
	free(s->acked_bits);
	memmove(s, s + 1, (sp->n - i - 1) * sizeof(*s));
	sp->n--;
}

static int is_writing(const struct spool *sp, size_t i)
{
	return sp->fd >= 0 && i == sp->n - 1;
}

static int rewrite(struct spool *sp, uint64_t id, uint64_t skip, uint64_t *bytes);

/* A found segment: checked record by record, kept if anything in it is good. */
static int load_segment(struct spool *sp, uint64_t id)
{
	struct check_ctx c = { .sp = sp };
	struct segment *s;
	uint8_t *data;
	size_t len;
	char *path = seg_path(sp, id);

	if (!path)
		return -ENOMEM;
	c.path = path;
	data = read_file(path, &len);
	if (!data) {
		log_error("spool", HM_E_SPOOL_READ, LOG_FIELDS(LF_STR("path", path), LF_ERRNO(errno)),
			  "reading %s failed: %s: segment skipped", path, strerror(errno));
		free(path);
		return 0;
	}
	s = seg_add(sp, id);
	if (s) {
		s->records = spool_parse(data, len, NULL, log_corrupt, &c);
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

static int parse_seg_name(const char *name, uint64_t *id)
{
	char *end;

	if (strlen(name) != 24 || strcmp(name + 20, ".seg"))
		return -EINVAL;
	errno = 0;
	*id = strtoull(name, &end, 10);
	return errno || end != name + 20 ? -EINVAL : 0;
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Segment ids found in dir, sorted; *n of them in a malloc'd array. */
static int list_segments(const char *dir, uint64_t **ids, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;
	uint64_t id, *grown;

	*ids = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (parse_seg_name(de->d_name, &id))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(*ids, cap * sizeof(*grown));
			if (!grown) {
				closedir(d);
				return -ENOMEM;
			}
			*ids = grown;
		}
		(*ids)[(*n)++] = id;
	}
	closedir(d);
	/* An empty directory leaves *ids NULL, which qsort must not be given. */
	if (*n)
		qsort(*ids, *n, sizeof(**ids), cmp_id);
	return 0;
}

struct spool *spool__open(const char *dir, uint64_t max_bytes, uint64_t segment_bytes)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	uint64_t *ids = NULL;
	size_t n = 0, i;
	int err;

	if (!sp) {
		err = -ENOMEM;
		goto fail;
	}
	/* Before anything can fail: spool__free closes descriptors that are not -1. */
	sp->fd = -1;
	sp->rfd = -1;
	sp->dir = strdup(dir);
	if (!sp->dir) {
		err = -ENOMEM;
		goto fail;
	}
	sp->max_bytes = max_bytes;
	sp->segment_bytes = segment_bytes;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		log_error("spool", HM_E_SPOOL_OPEN, LOG_FIELDS(LF_STR("path", dir), LF_ERRNO(-err)),
			  "creating %s failed: %s", dir, strerror(-err));
		goto fail;
	}
	err = list_segments(dir, &ids, &n);
	if (err) {
		log_error("spool", HM_E_SPOOL_OPEN, LOG_FIELDS(LF_STR("path", dir), LF_ERRNO(-err)),
			  "listing %s failed: %s", dir, strerror(-err));
		goto fail;
	}
	for (i = 0; i < n && !err; i++)
		err = load_segment(sp, ids[i]);
	sp->replay_below = n ? ids[n - 1] + 1 : 1;
	sp->next_id = sp->replay_below;
	free(ids);
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
	FILE *out;
	uint64_t skip;	/* the acknowledged prefix */
	uint64_t index;
	bool failed;
};

static void keep_unacked(void *ctx, const uint8_t *payload, uint32_t len, size_t offset)
{
	struct compact_ctx *c = ctx;
	uint8_t hdr[SPOOL_HDR_LEN];

	(void)offset;
	if (c->index++ < c->skip)
		return;
	spool_record_header(hdr, payload, len);
	if (fwrite(hdr, SPOOL_HDR_LEN, 1, c->out) != 1 || (len && fwrite(payload, len, 1, c->out) != 1))
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
	char *path = seg_path(sp, id), *tmp = NULL;
	uint8_t *data = NULL;
	size_t len;
	long size = -1;
	int ret = -EIO;

	if (!path || asprintf(&tmp, "%s.tmp", path) < 0 || !(data = read_file(path, &len)) ||
	    !(c.out = fopen(tmp, "we")))
		goto out;
	spool_parse(data, len, keep_unacked, ignore_error, &c);
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
 * The segment being written is sealed: gone if all its records were
 * acknowledged. Segments acknowledged in part (in order) lose that part.
 */
void spool__free(struct spool *sp)
{
	size_t i;

	if (!sp)
		return;
	if (sp->fd >= 0)
		seal(sp);
	for (i = 0; i < sp->n; i++)
		if (sp->segs[i].acked && !sp->segs[i].unordered)
			compact(sp, &sp->segs[i]);
	for (i = 0; i < sp->n; i++)
		free(sp->segs[i].acked_bits);
	if (sp->rfd >= 0)
		close(sp->rfd);
	free(sp->segs);
	free(sp->dir);
	free(sp);
}

struct replay_ctx {
	spool_replay_fn fn;
	void *ctx;
	struct spool_pos pos;
};

static void replay_one(void *ctx, const uint8_t *payload, uint32_t len, size_t offset)
{
	struct replay_ctx *r = ctx;

	(void)offset;
	r->fn(r->ctx, payload, len, &r->pos);
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
		path = seg_path(sp, ids[i]);
		data = path ? read_file(path, &len) : NULL;
		if (data) {
			r.pos.segment = ids[i];
			r.pos.index = 0;
			/* Errors were logged and counted at open. */
			spool_parse(data, len, replay_one, ignore_error, &r);
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

static void evict_oldest(struct spool *sp)
{
	struct segment *s = &sp->segs[0];
	uint64_t lost = s->records - s->acked;

	if (is_writing(sp, 0)) {
		close(sp->fd);
		sp->fd = -1;
	}
	sp->st.evicted += lost;
	log_warn("spool", HM_E_SPOOL_FULL, LOG_FIELDS(LF_STR("path", sp->dir)),
		 "%s full (%" PRIu64 " bytes): segment %" PRIu64 " evicted, %" PRIu64
		 " records never delivered (%" PRIu64 " evicted so far)", sp->dir, sp->max_bytes,
		 s->id, lost, sp->st.evicted);
	seg_remove(sp, 0);
}

/* Closes the segment being written; it goes at once if everything in it was acknowledged. */
static void seal(struct spool *sp)
{
	struct segment *s = &sp->segs[sp->n - 1];

	close(sp->fd);
	sp->fd = -1;
	if (s->acked >= s->records)
		seg_remove(sp, sp->n - 1);
}

static int start_segment(struct spool *sp)
{
	uint64_t id = sp->next_id++;
	char *path = seg_path(sp, id);
	int err = 0;

	if (!path)
		return -ENOMEM;
	sp->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (sp->fd < 0) {
		err = -errno;
		log_error("spool", HM_E_SPOOL_WRITE, LOG_FIELDS(LF_STR("path", path), LF_ERRNO(-err)),
			  "creating %s failed: %s", path, strerror(-err));
	} else if (!seg_add(sp, id)) {
		close(sp->fd);
		sp->fd = -1;
		unlink(path);
		err = -ENOMEM;
	}
	free(path);
	return err;
}

static int write_record(struct spool *sp, const void *payload, uint32_t len)
{
	struct segment *s = &sp->segs[sp->n - 1];
	uint8_t hdr[SPOOL_HDR_LEN];
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = SPOOL_HDR_LEN },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	ssize_t w;
	int err;

	spool_record_header(hdr, payload, len);
	w = writev(sp->fd, iov, 2);
	if (w == (ssize_t)(SPOOL_HDR_LEN + len))
		return 0;
	err = w < 0 ? -errno : -ENOSPC;
	/* Cut a partial record off so the segment stays well-formed. */
	if (w > 0 && ftruncate(sp->fd, s->bytes))
		log_error("spool", HM_E_SPOOL_WRITE, LOG_FIELDS(LF_STR("path", sp->dir), LF_ERRNO(errno)),
			  "truncating segment %" PRIu64 " failed: %s", s->id, strerror(errno));
	log_error("spool", HM_E_SPOOL_WRITE, LOG_FIELDS(LF_STR("path", sp->dir), LF_ERRNO(-err)),
		  "writing segment %" PRIu64 " in %s failed: %s", s->id, sp->dir,
		  strerror(-err));
	return err;
}

int spool__append(struct spool *sp, const void *payload, uint32_t len, struct spool_pos *pos)
{
	uint64_t need = SPOOL_HDR_LEN + (uint64_t)len;
	struct segment *s;
	int err;

	if (len > SPOOL_RECORD_MAX || need > sp->max_bytes)
		return -EMSGSIZE;
	while (sp->n && sp->st.bytes + need > sp->max_bytes)
		evict_oldest(sp);
	if (sp->fd >= 0 && sp->segs[sp->n - 1].bytes + need > sp->segment_bytes &&
	    sp->segs[sp->n - 1].bytes)
		seal(sp);
	if (sp->fd < 0 && (err = start_segment(sp)))
		return err;
	err = write_record(sp, payload, len);
	if (err)
		return err;
	s = &sp->segs[sp->n - 1];
	pos->segment = s->id;
	pos->index = s->records;
	s->records++;
	s->bytes += need;
	sp->st.bytes += need;
	sp->st.records++;
	return 0;
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

static bool is_acked(const struct segment *s, uint32_t index)
{
	return index / 8 < s->bits_len && s->acked_bits[index / 8] & (1u << index % 8);
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
		if (s->acked >= s->records && !is_writing(sp, i))
			seg_remove(sp, i);
		return;
	}
	/* Its segment was evicted: the record was counted there. */
}

bool spool__pending(const struct spool *sp, const struct spool_pos *pos)
{
	for (size_t i = 0; i < sp->n; i++)
		if (sp->segs[i].id == pos->segment)
			return pos->index < sp->segs[i].records && !is_acked(&sp->segs[i], pos->index);
	return false;
}

void spool__stats(const struct spool *sp, struct spool_stats *out)
{
	*out = sp->st;
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
	path = seg_path(sp, id);
	if (!path)
		return -ENOMEM;
	sp->rfd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (sp->rfd < 0)
		return -errno;
	sp->rfd_id = id;
	return sp->rfd;
}

enum { REC_GOOD, REC_SKIP, REC_END };

/*
 * The header at cur in s: REC_GOOD with the payload length, REC_SKIP for a
 * CRC mismatch (known only once the payload is read: *len set, payload NULL),
 * REC_END when nothing after it can be trusted, or -errno. As spool_parse
 * judges at open, so indexes agree.
 */
static int read_header(int fd, const struct segment *s, const struct spool_cursor *cur,
		       uint32_t *len)
{
	uint8_t hdr[SPOOL_HDR_LEN];
	ssize_t got;

	if (s->bytes - cur->offset < SPOOL_HDR_LEN)
		return REC_END;
	got = pread(fd, hdr, SPOOL_HDR_LEN, cur->offset);
	if (got < 0)
		return -errno;
	if (got != SPOOL_HDR_LEN || memcmp(hdr, SPOOL_MAGIC, 4))
		return REC_END;
	*len = get_le32(hdr + 4);
	if (*len > SPOOL_RECORD_MAX || *len > s->bytes - cur->offset - SPOOL_HDR_LEN)
		return REC_END;
	return REC_GOOD;
}

static int read_payload(int fd, const struct spool_cursor *cur, uint32_t len, uint8_t **out)
{
	uint8_t hdr[SPOOL_HDR_LEN], *buf = malloc(len ? len : 1);

	if (!buf)
		return -ENOMEM;
	if (pread(fd, hdr, SPOOL_HDR_LEN, cur->offset) != SPOOL_HDR_LEN ||
	    pread(fd, buf, len, cur->offset + SPOOL_HDR_LEN) != (ssize_t)len ||
	    crc32(0L, buf, len) != get_le32(hdr + 8)) {
		free(buf);
		return REC_SKIP;
	}
	*out = buf;
	return REC_GOOD;
}

/* Moves cur to the start of segment id. */
static void cursor_to(struct spool_cursor *cur, uint64_t id)
{
	cur->segment = id;
	cur->index = 0;
	cur->offset = 0;
}

int spool__read(struct spool *sp, struct spool_cursor *cur, uint8_t **payload, uint32_t *len,
		struct spool_pos *pos)
{
	struct segment *s;
	int fd, r;

	for (;;) {
		s = seg_from(sp, cur->segment);
		if (!s)
			return -ENOENT;
		if (s->id != cur->segment)
			cursor_to(cur, s->id);	/* evicted or fully acknowledged meanwhile */
		fd = reader_fd(sp, s->id);
		if (fd < 0)
			return fd;
		r = cur->index < s->records ? read_header(fd, s, cur, len) : REC_END;
		if (r < 0)
			return r;
		if (r == REC_END) {
			if (s == &sp->segs[sp->n - 1])
				return -ENOENT;
			cursor_to(cur, s->id + 1);
			continue;
		}
		if (is_acked(s, cur->index)) {
			spool__advance(cur, *len);
			continue;
		}
		r = read_payload(fd, cur, *len, payload);
		if (r == REC_GOOD)
			break;
		if (r < 0)
			return r;
		/* A CRC mismatch: counted at open, not a record (its index is the next one's). */
		cur->offset += SPOOL_HDR_LEN + *len;
	}
	pos->segment = s->id;
	pos->index = cur->index;
	return 0;
}

void spool__advance(struct spool_cursor *cur, uint32_t len)
{
	cur->offset += SPOOL_HDR_LEN + (uint64_t)len;
	cur->index++;
}
