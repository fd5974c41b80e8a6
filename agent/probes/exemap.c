/* The exe map: created here, reused by every probe family's object, read without any capability through its fd. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/exe.h"
#include "probes/exemap.h"
#include "probes/kpath.h"
#include "probes/pidcache.h"

struct exemap {
	int fd;
};

struct exemap *exemap__new(uint32_t capacity)
{
	struct exemap *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return NULL;
	m->fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "exe_paths", sizeof(__u32),
			       sizeof(struct exe_entry), capacity, NULL);
	if (m->fd < 0) {
		err = errno;
		free(m);
		errno = err;
		return NULL;
	}
	return m;
}

void exemap__free(struct exemap *m)
{
	if (!m)
		return;
	close(m->fd);
	free(m);
}

int exemap__fd(const struct exemap *m)
{
	return m->fd;
}

int exemap__share(const struct exemap *m, struct bpf_map *map, char *err, size_t errlen)
{
	int ret = m ? bpf_map__reuse_fd(map, m->fd) : bpf_map__set_max_entries(map, 1);

	if (ret)
		snprintf(err, errlen, "exe map: %s", strerror(-ret));
	return ret;
}

int exemap_entry_path(const struct exe_entry *e, const struct pidcache_key *key, char *path,
		      size_t len)
{
	/* Another process with that pid, or a note that failed (counted): /proc may know. */
	if (e->start_ns != key->start_ns || e->exec_id < key->exec_id || !e->path.depth)
		return -ENOENT;
	/* execve bumps exec_id: the process runs another program than at the event. */
	if (e->exec_id > key->exec_id)
		return -ESTALE;
	kpath_string(&e->path, path, len);
	return 0;
}

int exemap__lookup(void *ctx, const struct pidcache_key *key, char *path, size_t len)
{
	const struct exemap *m = ctx;
	struct exe_entry e;
	__u32 pid = key->pid;

	if (bpf_map_lookup_elem(m->fd, &pid, &e))
		return -ENOENT;
	return exemap_entry_path(&e, key, path, len);
}
