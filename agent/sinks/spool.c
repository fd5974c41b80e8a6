/* Kafka spool: segment files of CRC-checked records, staged and committed in batches, acknowledged, evicted oldest-first, replayed at start. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "core/log.h"
#include "sinks/spool.h"

/* spool__read's file reads, a chunk at a time: a backlog costs a pread per chunk, not per record. */
#define READ_AHEAD	(256u << 10)
/* A batch buffer grown past this by a burst is freed after its commit rather than kept. */
#define BATCH_KEEP_MAX	(4u << 20)

struct segment {
	uint64_t id;
	uint64_t records; /* good records in the file */
	uint64_t acked;
	uint64_t bytes;	/* in the file */
	uint64_t staged;	/* records staged for it, not written yet */
	uint64_t staged_bytes;
	bool on_disk;	/* its file exists (a segment a batch opened has none before the commit) */
	bool unordered;	/* acked out of index order: acked records are not a prefix */
	uint8_t *acked_bits;	/* bit i: record i acknowledged; grown as acks come */
	size_t bits_len;	/* bytes */
};

/* Records back to back, headers included, as in a segment file. */
struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/* Part of the batch last committed: bytes [at, at + len) of it are segment's from file offset off. */
struct batch_part {
	uint64_t segment;
	uint64_t off;
	size_t at;
	size_t len;
};

struct spool {
	char *dir;
	uint64_t max_bytes;
	uint64_t segment_bytes;
	struct segment *segs; /* by id; only the last ones have records staged */
	size_t n;
	size_t cap;
	uint64_t replay_below; /* segments found at open have smaller ids */
	uint64_t next_id;
	int fd;			/* appends to segment fd_seg */
	uint64_t fd_seg;
	struct buf stage;	/* staged records from stage_start (those before were evicted) */
	size_t stage_start;
	struct buf last;	/* the batch last committed, kept for spool__read */
	struct batch_part *parts;
	size_t nparts;
	size_t parts_cap;
	struct buf ahead;	/* spool__read's read-ahead: segment ahead_seg from ahead_off */
	uint64_t ahead_seg;	/* 0: holds nothing */
	uint64_t ahead_off;
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

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* The header length of the version whose magic starts p (4 bytes), 0 for none. */
static uint32_t header_len(const uint8_t *p)
{
	if (!memcmp(p, SPOOL_MAGIC, 4))
		return SPOOL_HDR_LEN;
	if (!memcmp(p, SPOOL_MAGIC_V1, 4))
		return SPOOL_HDR_LEN_V1;
	return 0;
}

/* CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), by table: the portable path. */
static uint32_t crc32c_table[256];
static pthread_once_t crc32c_made = PTHREAD_ONCE_INIT;

static void crc32c_make(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc32c_table[i] = c;
	}
}

uint32_t spool_crc32c_soft(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;

	pthread_once(&crc32c_made, crc32c_make);
	while (len--)
		c = crc32c_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

/* The SSE4.2 instruction (every x86-64 CPU since 2008): 8 bytes a step. */
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t c = ~crc, w;

	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return ~(uint32_t)c;
}

uint32_t spool_crc32c(uint32_t crc, const void *buf, size_t len)
{
	static int hw = -1;

	if (hw < 0)
		hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	return hw ? crc32c_sse42(crc, buf, len) : spool_crc32c_soft(crc, buf, len);
}

/*
 * The CRC a record's header carries: v1 zlib's crc32 of the payload; v2
 * CRC-32C of the header's fields, then the payload.
 */
static uint32_t record_crc(const uint8_t *hdr, uint32_t hdr_len, const void *payload, uint32_t len)
{
	uint32_t crc;

	/* zlib's crc32 of a NULL buffer is its initial value, whatever came before. */
	if (hdr_len == SPOOL_HDR_LEN_V1)
		return len ? crc32(0L, payload, len) : 0;
	crc = spool_crc32c(0, hdr, 8);
	crc = spool_crc32c(crc, hdr + 12, hdr_len - 12);
	return spool_crc32c(crc, payload, len);
}

void spool_record_header(uint8_t hdr[SPOOL_HDR_LEN], const struct spool_meta *meta,
			 const void *payload, uint32_t len)
{
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): 4 bytes, not a string */
	memcpy(hdr, SPOOL_MAGIC, 4);
	put_le32(hdr + 4, len);
	put_le32(hdr + 12, meta->kind);
	put_le64(hdr + 16, meta->seq);
	put_le64(hdr + 24, meta->ts_ns);
	put_le32(hdr + 8, record_crc(hdr, SPOOL_HDR_LEN, payload, len));
}

/*
 * The header at p (avail bytes readable): true, with *rec filled but for
 * its position, when it is one (known magic, whole, length at most
 * SPOOL_RECORD_MAX). Whether the payload is there is the caller's to check.
 */
static bool header_at(const uint8_t *p, size_t avail, struct spool_record *rec)
{
	uint32_t hl = avail >= 4 ? header_len(p) : 0;

	if (!hl || avail < hl || get_le32(p + 4) > SPOOL_RECORD_MAX)
		return false;
	memset(rec, 0, sizeof(*rec));
	rec->len = get_le32(p + 4);
	rec->size = hl + rec->len;
	rec->payload = p + hl;
	if (hl == SPOOL_HDR_LEN_V1) {
		rec->flags = SPOOL_REC_V1;
	} else {
		rec->meta.kind = get_le32(p + 12);
		rec->meta.seq = get_le64(p + 16);
		rec->meta.ts_ns = get_le64(p + 24);
	}
	return true;
}

/* The CRC in the header at p against the record header_at found there. */
static bool crc_ok(const uint8_t *p, const struct spool_record *rec)
{
	return record_crc(p, rec->size - rec->len, rec->payload, rec->len) == get_le32(p + 8);
}

/* A whole, intact record at off: magic, a length inside the data, its CRC. */
static bool record_at(const uint8_t *data, size_t len, size_t off)
{
	struct spool_record rec;

	return header_at(data + off, len - off, &rec) && rec.size <= len - off &&
	       crc_ok(data + off, &rec);
}

/* The next intact record (of either version) after a damaged header at off, or len when none follows. */
static size_t resync(const uint8_t *data, size_t len, size_t off)
{
	const uint8_t *p;

	while (++off < len && (p = memmem(data + off, len - off, "HMS", 3))) {
		off = (size_t)(p - data);
		if (record_at(data, len, off))
			return off;
	}
	return len;
}

uint64_t spool_parse(const uint8_t *data, size_t len, spool_record_fn on_record,
		     spool_error_fn on_error, void *ctx)
{
	struct spool_record rec;
	uint64_t good = 0;
	size_t off = 0, next;
	uint32_t hl;

	while (off < len) {
		hl = len - off >= 4 ? header_len(data + off) : 0;
		if (len - off < SPOOL_HDR_LEN_V1 || len - off < hl) {
			on_error(ctx, off, "truncated record header");
			break;
		}
		if (!header_at(data + off, len - off, &rec) || rec.size > len - off) {
			/* A damaged header: whatever intact record follows is still good. */
			next = resync(data, len, off);
			on_error(ctx, off, next == len ? "bad record header or truncated record, "
				 "nothing intact after it" : "bad record header, skipped to the next "
				 "intact record");
			off = next;
			continue;
		}
		if (!crc_ok(data + off, &rec)) {
			on_error(ctx, off, "CRC mismatch");
		} else {
			if (on_record)
				on_record(ctx, &rec, off);
			good++;
		}
		off += rec.size;
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
	char *path = s->on_disk ? seg_path(sp, s->id) : NULL;

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
	s = seg_add(sp, id, true);
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
	char *path = seg_path(sp, id), *tmp = NULL;
	uint8_t *data = NULL;
	size_t len;
	long size = -1;
	int ret = -EIO;

	if (!path || asprintf(&tmp, "%s.tmp", path) < 0 || !(data = read_file(path, &len)) ||
	    !(c.out = fopen(tmp, "we")))
		goto out;
	c.data = data;
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

/* Room for extra more bytes in b; 0 or -ENOMEM (b unchanged). */
static int buf_reserve(struct buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *grown;

	if (b->cap - b->len >= extra)
		return 0;
	while (cap - b->len < extra)
		cap *= 2;
	grown = realloc(b->data, cap);
	if (!grown)
		return -ENOMEM;
	b->data = grown;
	b->cap = cap;
	return 0;
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
	if (buf_reserve(&sp->stage, need))
		return -ENOMEM;
	while (sp->n && sp->st.bytes + staged_bytes(sp) + need > sp->max_bytes)
		evict_oldest(sp);
	s = stage_target(sp, need);
	if (!s)
		return -ENOMEM;
	at = sp->stage.data + sp->stage.len;
	spool_record_header(at, meta, payload, len);
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
	char *path = seg_path(sp, s->id);
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
		spool_parse(sp->stage.data + at, sp->stage.len - at, hand_back_one, ignore_error, &h);
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
	struct buf done;
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
			return pos->index < sp->segs[i].records && !is_acked(&sp->segs[i], pos->index);
	return false;
}

void spool__stats(const struct spool *sp, struct spool_stats *out)
{
	*out = sp->st;
	out->staged = 0;
	for (size_t i = 0; i < sp->n; i++)
		out->staged += sp->segs[i].staged;
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
	struct buf *ra = &sp->ahead;
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
	if (buf_reserve(ra, want))
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
 * nothing after it can be trusted, or -errno. As spool_parse judges at open,
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
		return header_at(p, avail, rec) && rec->size <= avail ? REC_GOOD : REC_END;
	avail = left < SPOOL_HDR_LEN ? left : SPOOL_HDR_LEN;
	err = from_file(sp, s, cur->offset, avail, &p);
	if (!err && (!header_at(p, avail, rec) || rec->size > left))
		return REC_END;
	if (!err)
		err = from_file(sp, s, cur->offset, rec->size, &p);
	if (err)
		return err == -ENODATA ? REC_END : err;
	rec->payload = p + (rec->size - rec->len);
	return crc_ok(p, rec) ? REC_GOOD : REC_SKIP;
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
		if (!is_acked(s, cur->index))
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
