/* The agent's BPF memory: what the kernel charges for each family's maps (measured), and what map definitions would take on a host of N possible CPUs (estimated). */
#ifndef HOSTMON_BPFMEM_H
#define HOSTMON_BPFMEM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/compiler.h"

/* Families (the probe families and the shared exe map) and maps one report holds. */
#define BPFMEM_FAMILIES	8
#define BPFMEM_MAPS	128

struct bpf_object;
struct bpf_map;

struct bpfmem_family {
	const char *name;	/* static text */
	uint64_t bytes;		/* the kernel's "memlock" of its maps */
	uint32_t maps;
};

/* One measurement: each map counted once, for the first family that adds it. */
struct bpfmem {
	struct bpfmem_family fam[BPFMEM_FAMILIES];
	size_t n_fam;
	uint32_t ids[BPFMEM_MAPS];	/* map ids counted */
	size_t n_ids;
	uint64_t total;
	uint64_t errors;		/* maps whose fdinfo could not be read */
};

void bpfmem_reset(struct bpfmem *b);
/*
 * Adds the map behind map_fd (its fdinfo's memlock: the kernel's own figure,
 * ring buffer pages included) to family unless a family already has it: the
 * exe map, shared by every object, counts once. 0, or -errno (counted).
 */
int bpfmem_add_fd(struct bpfmem *b, const char *family, int map_fd);
/* Every map of a loaded object, as bpfmem_add_fd. 0, or -errno when one could not be read. */
int bpfmem_add_object(struct bpfmem *b, const char *family, const struct bpf_object *obj);
/* A family's bytes, 0 when it has added nothing. */
uint64_t bpfmem_family_bytes(const struct bpfmem *b, const char *family);

/* A map fd's fdinfo text: its map_id and memlock. 0, or -ENOENT when either is missing (pure). */
int bpfmem_parse_fdinfo(const char *text, uint32_t *id, uint64_t *memlock);

/*
 * Resident bytes of the BPF maps mapped into a process (ring buffers, whose
 * data pages are mapped twice, and mmapable arrays), summed from smaps text:
 * they are kernel memory the maps' figure already counts, not the process's
 * own. f is /proc/self/smaps or text in its format.
 */
uint64_t bpfmem_mapped_bytes(FILE *f);

/* A map's definition as the kernel sizes it. */
struct bpfmem_def {
	uint32_t type;		/* enum bpf_map_type */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;	/* a ring buffer's: its bytes */
	uint32_t flags;		/* BPF_F_NO_PREALLOC, BPF_F_MMAPABLE */
};

/*
 * Bytes the kernel would allocate for a map so defined on a host of ncpus
 * possible CPUs, hashes full (pure; see bpfmem.c for what it leaves out).
 */
uint64_t bpfmem_estimate(const struct bpfmem_def *d, unsigned int ncpus);
/* bpfmem_estimate of a map of an opened (not necessarily loaded) object, as defined now. */
uint64_t bpfmem_estimate_map(const struct bpf_map *map, unsigned int ncpus);

#endif /* HOSTMON_BPFMEM_H */
