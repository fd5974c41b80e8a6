/* Joins the names the kernel walked, leaf first, into a path, root first. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "core/encode.h"
#include "probes/kpath.h"

/* Where each of p's names starts (depth of them, leaf first); the count found. */
static unsigned int kpath_names(const struct proc_path *p, const char **names)
{
	size_t left = p->len < PROC_PATH_LEN ? p->len : PROC_PATH_LEN, n;
	const char *at = p->names;
	unsigned int i;

	for (i = 0; i < p->depth && i < PROC_PATH_DEPTH && left; i++) {
		names[i] = at;
		n = strnlen(at, left);
		n += n < left;	/* its NUL */
		at += n;
		left -= n;
	}
	return i;
}

void kpath_string(const struct proc_path *p, char *out, size_t len)
{
	const char *names[PROC_PATH_DEPTH];
	char name[3 * PROC_NAME_LEN + 1];
	unsigned int depth = kpath_names(p, names);
	size_t o = 0;
	int n;

	out[0] = 0;
	if (p->truncated && len > 4)
		o = (size_t)snprintf(out, len, "...");
	for (int i = (int)depth - 1; i >= 0 && o < len; i--) {
		encode_utf8(name, names[i], strnlen(names[i], PROC_NAME_LEN));
		n = snprintf(out + o, len - o, "/%s", name);
		o += n > 0 ? (size_t)n : 0;
	}
	if (!p->depth && !p->truncated)
		snprintf(out, len, "/");
}

int kpath_push(struct proc_path *p, const char *name)
{
	size_t n = strnlen(name, PROC_NAME_LEN - 1);

	if (p->depth >= PROC_PATH_DEPTH || p->len >= PROC_PATH_BYTES) {
		p->truncated = 1;
		return -ENOSPC;
	}
	memcpy(p->names + p->len, name, n);
	p->names[p->len + n] = 0;
	p->len += n + 1;
	p->depth++;
	return 0;
}
