/* What probe families share: their states and how they start. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "core/log.h"
#include "probes/family.h"
#include "probes/pidcache.h"
#include "record/record.h"

/* The initial pid namespace's inode, fixed by the kernel (PROC_PID_INIT_INO). */
#define FAMILY_INIT_PIDNS_INO	0xEFFFFFFCU

int family_tp_args(const char *tracepoint)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	const struct btf_type *t;
	char name[128];
	int id, n = -1;

	if (!vmlinux)
		return -1;
	snprintf(name, sizeof(name), "btf_trace_%s", tracepoint);
	id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF);
	if (id > 0) {
		t = btf__type_by_id(vmlinux, btf__resolve_type(vmlinux, id));
		if (t && btf_is_ptr(t))
			t = btf__type_by_id(vmlinux, t->type);
		/* The first parameter is the tracepoint's own context pointer. */
		if (t && btf_is_func_proto(t))
			n = btf_vlen(t) - 1;
	}
	btf__free(vmlinux);
	return n;
}

const char *family_state_name(enum family_state state)
{
	switch (state) {
	case FAMILY_DISABLED:
		return "disabled";
	case FAMILY_ATTACHED:
		return "attached";
	case FAMILY_FAILED:
		return "failed";
	}
	return "unknown";
}

struct family_ring {
	struct ring_buffer *rb;
	int (*on_event)(void *ctx, void *data, size_t len);
	void *ctx;
	unsigned int left;	/* events this batch may still read */
};

/* Stops libbpf's read after the batch: the event is consumed, the rest waits. */
#define BATCH_DONE	(-EINTR)

static int batch_event(void *ctx, void *data, size_t len)
{
	struct family_ring *r = ctx;
	int ret = r->on_event(r->ctx, data, len);

	if (ret < 0)
		return ret;
	return --r->left ? 0 : BATCH_DONE;
}

int family_start(struct bpf_object_skeleton *skel, struct bpf_map *events, uint32_t ring_bytes,
		 int (*on_event)(void *ctx, void *data, size_t len), void *ctx,
		 struct family_ring **ring, char *err, size_t errlen)
{
	struct family_ring *r;
	int ret;

	ret = bpf_map__set_max_entries(events, ring_bytes);
	if (ret) {
		snprintf(err, errlen, "ring buffer size %u: %s", ring_bytes, strerror(-ret));
		return ret;
	}
	ret = bpf_object__load_skeleton(skel);
	if (ret) {
		snprintf(err, errlen, "load failed: %s", strerror(-ret));
		return ret;
	}
	ret = bpf_object__attach_skeleton(skel);
	if (ret) {
		snprintf(err, errlen, "attach failed: %s", strerror(-ret));
		return ret;
	}
	*ring = r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "ring buffer: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	r->on_event = on_event;
	r->ctx = ctx;
	r->rb = ring_buffer__new(bpf_map__fd(events), batch_event, r, NULL);
	if (!r->rb) {
		ret = -errno;
		snprintf(err, errlen, "ring buffer: %s", strerror(-ret));
	}
	return ret;
}

uint64_t family_wakeup_bytes(uint32_t ring_bytes, unsigned int flush_ms)
{
	return flush_ms ? ring_bytes / 16 : 0;
}

uint32_t family_self_tgid(bool trace_self)
{
	static bool told;
	struct stat st;

	if (trace_self)
		return 0;
	if (stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == FAMILY_INIT_PIDNS_INO)
		return (uint32_t)getpid();
	if (!told) {
		told = true;
		log_info("hostmond", "own calls traced: outside the host's pid namespace, "
			 "the kernel does not know the agent by its pid %d", (int)getpid());
	}
	return 0;
}

void family_ring__free(struct family_ring *ring)
{
	if (!ring)
		return;
	ring_buffer__free(ring->rb);
	free(ring);
}

int family_ring__epoll_fd(const struct family_ring *ring)
{
	return ring_buffer__epoll_fd(ring->rb);
}

int family_ring__consume(struct family_ring *ring)
{
	int ret;

	ring->left = FAMILY_RING_BATCH;
	ret = ring_buffer__consume(ring->rb);
	if (ret == BATCH_DONE)
		return FAMILY_RING_BATCH;
	return ret;
}

#define TRACEFS "/sys/kernel/tracing"

int family_need_tracefs(char *err, size_t errlen)
{
	int ret;

	if (access(TRACEFS "/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return 0;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL)) {
		ret = -errno;
		snprintf(err, errlen, "tracefs is not mounted and mounting it at %s failed: %s",
			 TRACEFS, strerror(-ret));
		return ret;
	}
	log_info("hostmond", "mounted tracefs at %s for tracepoint programs", TRACEFS);
	return 0;
}

/* The cache's text outlives the record (valid until its next call); cleaned when cached. */
static char *meta_text(const char *v)
{
	return v ? (char *)v : (char *)"";
}

void family_proc_meta(struct pidcache *c, const struct pidcache_key *key, char **exe,
		      char **cgroup, char **container_id)
{
	struct pidcache_meta m;

	pidcache__describe(c, key, &m);
	*exe = meta_text(m.exe);
	*cgroup = meta_text(m.cgroup);
	*container_id = meta_text(m.container_id);
}
