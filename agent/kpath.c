/* Joins the names the kernel walked, leaf first, into a path, root first. */
#include <stdio.h>
#include "encode.h"
#include "kpath.h"

void kpath_string(const struct proc_path *p, char *out, size_t len)
{
	char name[3 * PROC_NAME_LEN + 1];
	size_t o = 0;
	int n;

	out[0] = 0;
	if (p->truncated && len > 4)
		o = (size_t)snprintf(out, len, "...");
	for (int i = (int)p->depth - 1; i >= 0 && o < len; i--) {
		encode_utf8(name, p->names[i], PROC_NAME_LEN);
		n = snprintf(out + o, len - o, "/%s", name);
		o += n > 0 ? (size_t)n : 0;
	}
	if (!p->depth && !p->truncated)
		snprintf(out, len, "/");
}
