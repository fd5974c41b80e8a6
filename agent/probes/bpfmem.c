/* BPF memory: the kernel's figure for each map the agent holds, and an estimate from map definitions for any CPU count. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "probes/bpfmem.h"

void bpfmem_reset(struct bpfmem *b)
{
	memset(b, 0, sizeof(*b));
}

/* The value of the line "KEY:\tVALUE" of text (key given with its colon), or -ENOENT. */
static int fdinfo_field(const char *text, const char *key, unsigned long long *v)
{
	size_t len = strlen(key);
	const char *p = text;
	char *end;

	while (p && *p) {
		if (!strncmp(p, key, len)) {
			errno = 0;
			*v = strtoull(p + len, &end, 10);
			if (errno || end == p + len || (*end && *end != '\n'))
				return -ENOENT;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

int bpfmem_parse_fdinfo(const char *text, uint32_t *id, uint64_t *memlock)
{
	unsigned long long i, m;

	if (fdinfo_field(text, "map_id:", &i) || fdinfo_field(text, "memlock:", &m) ||
	    i > UINT32_MAX)
		return -ENOENT;
	*id = (uint32_t)i;
	*memlock = m;
	return 0;
}

/* /proc/self/fdinfo/FD into buf (NUL-terminated). 0 or -errno. */
static int read_fdinfo(int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int f, ret = 0;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = read(f, buf, len - 1);
	if (n < 0)
		ret = -errno;
	else
		buf[n] = '\0';
	close(f);
	return ret;
}

static struct bpfmem_family *family_of(struct bpfmem *b, const char *name)
{
	for (size_t i = 0; i < b->n_fam; i++)
		if (!strcmp(b->fam[i].name, name))
			return &b->fam[i];
	if (b->n_fam == BPFMEM_FAMILIES)
		return NULL;
	b->fam[b->n_fam].name = name;
	return &b->fam[b->n_fam++];
}

static bool counted(const struct bpfmem *b, uint32_t id)
{
	for (size_t i = 0; i < b->n_ids; i++)
		if (b->ids[i] == id)
			return true;
	return false;
}

int bpfmem_add_fd(struct bpfmem *b, const char *family, int map_fd)
{
	struct bpfmem_family *f = family_of(b, family);
	uint64_t memlock;
	char buf[1024];
	uint32_t id;
	int ret;

	ret = f ? read_fdinfo(map_fd, buf, sizeof(buf)) : -ENOSPC;
	if (!ret)
		ret = bpfmem_parse_fdinfo(buf, &id, &memlock);
	if (!ret && !counted(b, id) && b->n_ids == BPFMEM_MAPS)
		ret = -ENOSPC;
	if (ret) {
		b->errors++;
		return ret;
	}
	if (counted(b, id))
		return 0;
	b->ids[b->n_ids++] = id;
	f->bytes += memlock;
	f->maps++;
	b->total += memlock;
	return 0;
}

int bpfmem_add_object(struct bpfmem *b, const char *family, const struct bpf_object *obj)
{
	const struct bpf_map *map;
	int ret, err = 0;

	bpf_object__for_each_map(map, obj) {
		if (bpf_map__fd(map) < 0)	/* not created (autocreate off) */
			continue;
		ret = bpfmem_add_fd(b, family, bpf_map__fd(map));
		if (ret)
			err = ret;
	}
	return err;
}

uint64_t bpfmem_family_bytes(const struct bpfmem *b, const char *family)
{
	for (size_t i = 0; i < b->n_fam; i++)
		if (!strcmp(b->fam[i].name, family))
			return b->fam[i].bytes;
	return 0;
}

uint64_t bpfmem_mapped_bytes(FILE *f)
{
	unsigned long long kb;
	bool bpf = false;
	uint64_t sum = 0;
	char line[512];
	int pos;

	while (fgets(line, sizeof(line), f)) {
		pos = -1;
		/* A mapping's header: "START-END PERMS OFFSET DEV INODE [NAME]". */
		/* NOLINTNEXTLINE(cert-err34-c): only whether it matched counts */
		if (sscanf(line, "%*x-%*x %*s %*x %*s %*u %n", &pos) >= 0 && pos > 0) {
			bpf = !strncmp(line + pos, "anon_inode:bpf", strlen("anon_inode:bpf"));
			continue;
		}
		/* NOLINTNEXTLINE(cert-err34-c): the kernel writes these numbers, in range */
		if (bpf && sscanf(line, "Rss: %llu kB", &kb) == 1)
			sum += (uint64_t)kb * 1024;
	}
	return sum;
}

/* --- Estimate -------------------------------------------------------------- */

/*
 * The kernel's sizes on 64-bit (kernel/bpf/hashtab.c, arraymap.c,
 * ringbuf.c, bpf_local_storage.c, as their map_mem_usage counts them): a
 * hash element's header (struct htab_elem), a bucket, a pointer, a free-list
 * node of elements allocated on demand, the per-CPU bucket locks of a hash.
 */
#define HTAB_ELEM	48
#define HTAB_BUCKET	16
#define HTAB_LOCKS	8	/* HASHTAB_MAP_LOCK_COUNT ints per CPU */
#define PTR		8
#define LLIST_NODE	8
#define PAGE		4096
#define RINGBUF_META_PAGES	3	/* header page, consumer and producer pages */

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static uint64_t estimate_array(const struct bpfmem_def *d, unsigned int ncpus)
{
	uint64_t value = round_up(d->value_size, 8), n = d->max_entries;

	if (d->type == BPF_MAP_TYPE_PERCPU_ARRAY)
		return n * PTR + n * value * ncpus;
	if (d->flags & BPF_F_MMAPABLE)
		return PAGE + round_up(n * value, PAGE);
	return n * value;
}

/* As htab_map_mem_usage for a full map: elements allocated on demand count once created. */
static uint64_t estimate_hash(const struct bpfmem_def *d, unsigned int ncpus)
{
	bool percpu = d->type == BPF_MAP_TYPE_PERCPU_HASH || d->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	bool lru = d->type == BPF_MAP_TYPE_LRU_HASH || d->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	uint64_t value = round_up(d->value_size, 8), n = d->max_entries;
	uint64_t elem = HTAB_ELEM + round_up(d->key_size, 8) + (percpu ? PTR : value);
	uint64_t bytes = pow2_at_least(n) * HTAB_BUCKET + (uint64_t)ncpus * HTAB_LOCKS * 4;

	if (d->flags & BPF_F_NO_PREALLOC) {
		bytes += (elem + LLIST_NODE) * n;
		if (percpu)
			bytes += (LLIST_NODE + PTR) * n + value * ncpus * n;
		return bytes;
	}
	/* A plain preallocated hash keeps one spare element per CPU for updates. */
	if (!percpu && !lru)
		n += ncpus;
	bytes += elem * n;
	if (percpu)
		bytes += value * ncpus * n;
	else if (!lru)
		bytes += (uint64_t)PTR * ncpus;
	return bytes;
}

/*
 * What this leaves out, all small or not the map's own: the kernel's map
 * structs (a few hundred bytes a map), the LRU's per-CPU lists, the per-CPU
 * caches of the allocator behind BPF_F_NO_PREALLOC and local storage, page
 * tables of a ring buffer's second mapping of its data; and, of task, socket
 * and inode storage, every element: one per task (socket...) that a
 * program gave one, which no definition bounds. Hashes are counted full.
 */
uint64_t bpfmem_estimate(const struct bpfmem_def *d, unsigned int ncpus)
{
	uint64_t pages;

	switch (d->type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return estimate_array(d, ncpus);
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return estimate_hash(d, ncpus);
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF:
		pages = d->max_entries / PAGE + RINGBUF_META_PAGES;
		return pages * PAGE + pages * PTR;
	case BPF_MAP_TYPE_TASK_STORAGE:
	case BPF_MAP_TYPE_SK_STORAGE:
	case BPF_MAP_TYPE_INODE_STORAGE:
		return pow2_at_least(ncpus) * HTAB_BUCKET;
	default:
		return (uint64_t)d->max_entries *
		       (round_up(d->key_size, 8) + round_up(d->value_size, 8));
	}
}

uint64_t bpfmem_estimate_map(const struct bpf_map *map, unsigned int ncpus)
{
	const struct bpfmem_def d = {
		.type = bpf_map__type(map),
		.key_size = bpf_map__key_size(map),
		.value_size = bpf_map__value_size(map),
		.max_entries = bpf_map__max_entries(map),
		.flags = bpf_map__map_flags(map),
	};

	if (!bpf_map__autocreate(map))
		return 0;
	return bpfmem_estimate(&d, ncpus);
}
