/* What probe families share: their states and how they start. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <bpf/libbpf.h>
#include "log.h"
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
