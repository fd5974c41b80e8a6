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

#endif /* HOSTMON_KPATH_H */
