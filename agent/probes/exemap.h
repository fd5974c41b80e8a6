/* The kernel's exe path of each process (bpf/exe.bpf.h): one map every probe family shares, read by the pid cache. */
#ifndef HOSTMON_EXEMAP_H
#define HOSTMON_EXEMAP_H

#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

struct exemap;
struct bpf_map;
struct pidcache_key;

/* Creates the map of capacity processes; needs CAP_BPF (before privileges are dropped). NULL with errno. */
HM_MUST_CHECK
struct exemap *exemap__new(uint32_t capacity);
void exemap__free(struct exemap *m);
/* The map's fd (owned by m), for its figure (agent/probes/bpfmem.h). */
int exemap__fd(const struct exemap *m);
/*
 * Between open and load: an object's exe_paths becomes m's map. With a NULL
 * m (it could not be created) a private one-entry map, which costs nothing.
 * 0, or -errno with err set.
 */
HM_MUST_CHECK
int exemap__share(const struct exemap *m, struct bpf_map *map, char *err, size_t errlen);
/*
 * key's exe into path, as pidcache_exe_fn (agent/probes/pidcache.h): 0; -ESTALE when
 * the process has exec'd since; -ENOENT when the map does not know.
 */
int exemap__lookup(void *m, const struct pidcache_key *key, char *path, size_t len);

struct exe_entry;
/* exemap__lookup's answer from the entry the map holds for key's pid (pure). */
int exemap_entry_path(const struct exe_entry *e, const struct pidcache_key *key, char *path,
		      size_t len);

#endif /* HOSTMON_EXEMAP_H */
