/* Kernel feature probes: load-free where libbpf can tell, each a yes or no. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include "probes/kfeatures.h"

bool features_off(const char *name)
{
	const char *list = getenv("HOSTMON_FEATURES_OFF");
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/* libbpf's probes answer 1 (supported), 0 (not) or -errno (could not tell: taken as not). */
static bool probed(int ret, const char *name)
{
	return ret == 1 && !features_off(name);
}

void features_probe(struct kernel_features *f)
{
	struct utsname u;

	memset(f, 0, sizeof(*f));
	if (!uname(&u))
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	f->btf = !access("/sys/kernel/btf/vmlinux", R_OK);
	f->ringbuf = probed(libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL), "ringbuf");
	f->task_storage = probed(libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL),
				 "task_storage");
	f->task_btf = probed(libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT,
						     BPF_FUNC_get_current_task_btf, NULL),
			     "task_btf");
}

const char *features_missing(const struct kernel_features *f)
{
	if (!f->btf)
		return "no kernel BTF (/sys/kernel/btf/vmlinux): hostmond needs a kernel "
		       "built with CONFIG_DEBUG_INFO_BTF=y (5.5 or later)";
	if (!f->ringbuf)
		return "no BPF ring buffer: hostmond needs Linux 5.8 or later";
	return "";
}

void features_describe(const struct kernel_features *f, char *buf, size_t len)
{
	snprintf(buf, len, "btf %s, ringbuf %s, task_storage %s, task_btf %s",
		 f->btf ? "yes" : "no", f->ringbuf ? "yes" : "no",
		 f->task_storage ? "yes" : "no", f->task_btf ? "yes" : "no");
}
