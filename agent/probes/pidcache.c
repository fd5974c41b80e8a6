/* Process metadata cache: a hash of (pid, start, exec generation) over a doubly linked LRU list, filled from /proc. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/encode.h"
#include "probes/pidcache.h"
#include "probes/workload.h"

/* Hand-written: a hash and a list are ~100 lines; glib or a uthash copy would be a dependency for that. */
struct entry {
	struct pidcache_key key;
	struct entry *hnext;		/* hash chain */
	struct entry *prev, *next;	/* LRU list, most recent first */
	uint64_t loaded_s;		/* monotonic seconds when read from /proc */
	bool gone;
	char *exe, *cgroup;		/* in text[], or NULL */
	char comm[16];
	char container_id[PIDCACHE_ID_LEN + 1];
	char text[];			/* exe then cgroup, NUL-terminated */
};

struct pidcache {
	struct entry **buckets;
	uint32_t nbuckets;		/* power of two */
	struct entry *head, *tail;
	struct pidcache_stats st;
	long ns_per_tick;		/* /proc/PID/stat's starttime unit */
	pidcache_exe_fn exe_fn;		/* asked before /proc/PID/exe; NULL: none */
	void *exe_ctx;
	char root[PATH_MAX];
};

/* What a miss read from /proc/PID before it becomes an entry. */
struct proc_read {
	bool gone;
	char comm[16];
	char exe[PATH_MAX];
	char cgroup[PATH_MAX];
	char memcg[PATH_MAX];
	char buf[2 * PATH_MAX + 1024];	/* /proc/PID/cgroup as read */
};

static uint32_t hash_key(const struct pidcache_key *k, uint32_t nbuckets)
{
	uint64_t h = k->pid * 0x9e3779b97f4a7c15ULL ^ k->start_ns ^ (k->exec_id << 32);

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return (uint32_t)h & (nbuckets - 1);
}

static bool key_eq(const struct pidcache_key *a, const struct pidcache_key *b)
{
	return a->pid == b->pid && a->start_ns == b->start_ns && a->exec_id == b->exec_id;
}

struct pidcache *pidcache__new(uint32_t capacity, const char *proc_root)
{
	struct pidcache *c = calloc(1, sizeof(*c));
	long hz = sysconf(_SC_CLK_TCK);

	if (!c)
		return NULL;
	c->st.capacity = capacity ? capacity : 1;
	for (c->nbuckets = 1; c->nbuckets < c->st.capacity; c->nbuckets <<= 1)
		;
	c->buckets = calloc(c->nbuckets, sizeof(struct entry *));
	if (!c->buckets) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->ns_per_tick = hz > 0 ? 1000000000L / hz : 10000000L;
	snprintf(c->root, sizeof(c->root), "%s", proc_root);
	return c;
}

void pidcache__free(struct pidcache *c)
{
	struct entry *e, *next;

	if (!c)
		return;
	for (e = c->head; e; e = next) {
		next = e->next;
		free(e);
	}
	free(c->buckets);
	free(c);
}

void pidcache__set_exe_source(struct pidcache *c, pidcache_exe_fn fn, void *ctx)
{
	c->exe_fn = fn;
	c->exe_ctx = ctx;
}

static void list_unlink(struct pidcache *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void list_push_front(struct pidcache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

static struct entry *find(struct pidcache *c, const struct pidcache_key *k)
{
	struct entry *e = c->buckets[hash_key(k, c->nbuckets)];

	while (e && !key_eq(&e->key, k))
		e = e->hnext;
	return e;
}

static void remove_entry(struct pidcache *c, struct entry *e)
{
	struct entry **p = &c->buckets[hash_key(&e->key, c->nbuckets)];

	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	list_unlink(c, e);
	c->st.entries--;
	free(e);
}

uint32_t pidcache__shrink(struct pidcache *c, uint32_t keep)
{
	uint32_t dropped = 0;

	if (!c)
		return 0;
	while (c->st.entries > keep && c->tail) {
		remove_entry(c, c->tail);
		dropped++;
	}
	c->st.evictions += dropped;
	if (dropped)
		c->st.shrinks++;
	return dropped;
}

/* The first line of a file under dirfd, without its newline; -errno when it cannot be read. */
static int read_line(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* /proc/PID/stat's starttime (field 22), in clock ticks; -errno. After the last ')': comm may hold any byte. */
static int read_start_ticks(int dirfd, unsigned long long *ticks)
{
	char buf[1024], *p, *end;
	int err = read_line(dirfd, "stat", buf, sizeof(buf));

	if (err)
		return err;
	p = strrchr(buf, ')');
	/* p at the blank before field 3 (state) after one step, before 22 (starttime) after 20. */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -EINVAL;
	errno = 0;
	*ticks = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1 || (*end != ' ' && *end != '\0'))
		return -EINVAL;
	return 0;
}

/* All of a small file under dirfd in buf (NUL-terminated); -errno. */
static int read_all(int dirfd, const char *name, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n = 1;
	int fd, err = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (n > 0 && got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0)
			err = -errno;
		else
			got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	return err;
}

/*
 * The cgroup2 ("0::") path and the v1 memory controller's. cgroup is the
 * unified one, what the kernel's dfl_cgrp (process_crash "cgroup") names;
 * the memory line is a fallback for the container id, for runtimes that
 * place containers in v1 hierarchies only on hybrid hosts.
 */
static void read_cgroups(int dirfd, struct proc_read *r)
{
	char *line, *next, *path;

	if (read_all(dirfd, "cgroup", r->buf, sizeof(r->buf)))
		return;
	for (line = r->buf; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = 0;
		path = strchr(line, ':');
		path = path ? strchr(path + 1, ':') : NULL;
		if (!path)
			continue;
		if (!strncmp(line, "0::", 3))
			snprintf(r->cgroup, sizeof(r->cgroup), "%s", path + 1);
		else if (strstr(line, ":memory:"))
			snprintf(r->memcg, sizeof(r->memcg), "%s", path + 1);
	}
}

/* The exe source's answer, else (dirfd >= 0) /proc/PID/exe's, else "". */
static void read_exe(struct pidcache *c, const struct pidcache_key *k, int dirfd,
		     struct proc_read *r)
{
	ssize_t n = 0;
	int err = -ENOENT;

	if (c->exe_fn)
		err = c->exe_fn(c->exe_ctx, k, r->exe, sizeof(r->exe));
	if (!err)
		return;
	/* Kernel threads have none; another user's process is denied to a capability-less agent. */
	if (err != -ESTALE && dirfd >= 0)
		n = readlinkat(dirfd, "exe", r->exe, sizeof(r->exe) - 1);
	r->exe[n > 0 ? n : 0] = 0;
}

/*
 * Reads PID's files through one descriptor of its /proc directory: it stays
 * bound to that process (once reaped, every open through it fails), so a pid
 * reused meanwhile cannot lend its files; starttime tells a pid reused before
 * the open. A gone process's exe may still be known to the exe source.
 */
static void read_proc(struct pidcache *c, const struct pidcache_key *k, struct proc_read *r)
{
	unsigned long long ticks;
	char dir[PATH_MAX + 16];
	int dirfd;

	snprintf(dir, sizeof(dir), "%s/%u", c->root, k->pid);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || read_start_ticks(dirfd, &ticks) ||
	    ticks != k->start_ns / (uint64_t)c->ns_per_tick) {
		r->gone = true;
		read_exe(c, k, -1, r);
		goto out;
	}
	if (read_line(dirfd, "comm", r->comm, sizeof(r->comm)))
		r->comm[0] = 0;
	read_exe(c, k, dirfd, r);
	read_cgroups(dirfd, r);
out:
	if (dirfd >= 0)
		close(dirfd);
}

/*
 * Paths from /proc are bytes, not text: kept as valid UTF-8 (encode_utf8),
 * cleaned once here rather than at every event that names them.
 */
static struct entry *entry_new(const struct pidcache_key *k, const struct proc_read *r)
{
	char exe[3 * PATH_MAX + 1], cgroup[3 * PATH_MAX + 1];
	size_t exe_len = encode_utf8(exe, r->exe, sizeof(r->exe));
	size_t cg_len = encode_utf8(cgroup, r->cgroup, sizeof(r->cgroup));
	struct entry *e = calloc(1, sizeof(*e) + exe_len + cg_len + 2);

	if (!e)
		return NULL;
	e->key = *k;
	e->loaded_s = clock_ns(CLOCK_MONOTONIC_COARSE) / 1000000000ULL;
	e->gone = r->gone;
	memcpy(e->comm, r->comm, sizeof(e->comm));
	memcpy(e->text, exe, exe_len + 1);
	memcpy(e->text + exe_len + 1, cgroup, cg_len + 1);
	e->exe = exe_len ? e->text : NULL;
	e->cgroup = cg_len ? e->text + exe_len + 1 : NULL;
	if (pidcache_container_id(r->cgroup, e->container_id) &&
	    pidcache_container_id(r->memcg, e->container_id))
		e->container_id[0] = 0;
	return e;
}

static int insert(struct pidcache *c, const struct pidcache_key *k, struct entry **out)
{
	struct proc_read *r = calloc(1, sizeof(*r));
	struct entry *e;
	uint32_t b;

	if (!r)
		return -ENOMEM;
	read_proc(c, k, r);
	e = entry_new(k, r);
	free(r);
	if (!e)
		return -ENOMEM;
	if (c->st.entries >= c->st.capacity) {
		remove_entry(c, c->tail);
		c->st.evictions++;
	}
	b = hash_key(k, c->nbuckets);
	e->hnext = c->buckets[b];
	c->buckets[b] = e;
	list_push_front(c, e);
	c->st.entries++;
	c->st.misses++;
	c->st.gone += e->gone;
	*out = e;
	return 0;
}

int pidcache__lookup(struct pidcache *c, const struct pidcache_key *key, struct pidcache_meta *out)
{
	struct entry *e;
	int err;

	memset(out, 0, sizeof(*out));
	if (!c || !key->pid)
		return 0;
	e = find(c, key);
	if (e && clock_ns(CLOCK_MONOTONIC_COARSE) / 1000000000ULL - e->loaded_s >= PIDCACHE_TTL_S) {
		remove_entry(c, e);
		e = NULL;
	}
	if (e) {
		c->st.hits++;
		list_unlink(c, e);
		list_push_front(c, e);
	} else if ((err = insert(c, key, &e))) {
		return err;
	}
	out->gone = e->gone;
	out->comm = e->gone ? NULL : e->comm;
	out->exe = e->exe;
	out->cgroup = e->cgroup;
	out->container_id = e->container_id[0] ? e->container_id : NULL;
	return 0;
}

void pidcache__describe(struct pidcache *c, const struct pidcache_key *key,
			struct pidcache_meta *out)
{
	if (pidcache__lookup(c, key, out) && c)
		c->st.failed++;
}

void pidcache__stats(const struct pidcache *c, struct pidcache_stats *st)
{
	if (c)
		*st = c->st;
	else
		memset(st, 0, sizeof(*st));
}

/* The one parser of cgroup paths is agent/probes/workload.c; this keeps the event fields' rule in one place. */
_Static_assert(PIDCACHE_ID_LEN == WORKLOAD_ID_LEN, "one container id length");

int pidcache_container_id(const char *cgroup, char *out)
{
	struct workload w;

	if (!cgroup || workload_parse(cgroup, strlen(cgroup), &w) || !w.id[0])
		return -ENOENT;
	memcpy(out, w.id, PIDCACHE_ID_LEN + 1);
	return 0;
}
