/* What probe families share: their states and how they start. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "family.h"

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

int family_start(struct bpf_object_skeleton *skel, struct bpf_map *events, uint32_t ring_bytes,
		 int (*on_event)(void *ctx, void *data, size_t len), void *ctx,
		 struct ring_buffer **rb, char *err, size_t errlen)
{
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
	*rb = ring_buffer__new(bpf_map__fd(events), on_event, ctx, NULL);
	if (!*rb) {
		ret = -errno;
		snprintf(err, errlen, "ring buffer: %s", strerror(-ret));
	}
	return ret;
}
