/* Paths walked in the kernel (struct proc_path, leaf first) as strings, root first. */
#ifndef HOSTMON_KPATH_H
#define HOSTMON_KPATH_H

#include <stddef.h>
#include <linux/types.h>
#include "bpf/exe.h"

/* Room for any path kpath_string writes: every name escaped, and a "..." prefix. */
#define KPATH_MAX	(PROC_PATH_DEPTH * (3 * PROC_NAME_LEN + 1) + 4)

/* "/a/b/c"; root is "/"; a truncated one starts "..."; names cleaned as UTF-8. */
void kpath_string(const struct proc_path *p, char *out, size_t len);

/*
 * Appends name as the kernel's walk does (bpf/path.bpf.h path_push): the
 * next name up, cut to PROC_NAME_LEN - 1 bytes. -ENOSPC, with truncated set,
 * when p is full. For tests and tools that build paths.
 */
int kpath_push(struct proc_path *p, const char *name);

#endif /* HOSTMON_KPATH_H */
