/* Workload names from cgroup paths alone (no runtime API): what a path says, and the names shown for it. */
#ifndef HOSTMON_WORKLOAD_H
#define HOSTMON_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include "core/compiler.h"

/* A container id is 64 hex digits in every runtime's cgroup names. */
#define WORKLOAD_ID_LEN		64
/* The short form people type (docker ps): the first 12 digits. */
#define WORKLOAD_SHORT_ID_LEN	12
/* A Kubernetes pod UID: 8-4-4-4-12 lower-case hex digits. */
#define WORKLOAD_POD_UID_LEN	36
/* systemd's limit on a unit name is 255 bytes. */
#define WORKLOAD_UNIT_MAX	256
#define WORKLOAD_NAME_MAX	256
/* Longer paths are refused (-ENAMETOOLONG): no cgroup path the kernel shows is. */
#define WORKLOAD_PATH_MAX	4096

/* Who made the cgroup; docs/workloads.md lists the paths of each. */
enum workload_runtime {
	WORKLOAD_HOST,		/* the root cgroup "/" */
	WORKLOAD_DOCKER,	/* docker-ID.scope, /docker/ID */
	WORKLOAD_CONTAINERD,	/* cri-containerd-ID.scope */
	WORKLOAD_CRIO,		/* crio-ID.scope */
	WORKLOAD_PODMAN,	/* libpod-ID.scope, libpod-ID */
	WORKLOAD_CRI,		/* Kubernetes, runtime not named: a bare ID (cgroupfs driver) or a pod's own cgroup */
	WORKLOAD_SERVICE,	/* a systemd service: the deepest unit is NAME.service */
	WORKLOAD_SYSTEMD,	/* a systemd slice, scope or other unit (user sessions, machine.slice...) */
	WORKLOAD_OTHER,		/* none of the above: named by its path */
	WORKLOAD_RUNTIME_MAX,
};

enum workload_qos {
	WORKLOAD_QOS_NONE,	/* not a Kubernetes pod */
	WORKLOAD_QOS_GUARANTEED,
	WORKLOAD_QOS_BURSTABLE,
	WORKLOAD_QOS_BESTEFFORT,
	WORKLOAD_QOS_MAX,
};

/* What a cgroup path says of its workload. Strings are NUL-terminated, "" when unknown, printable ASCII. */
struct workload {
	enum workload_runtime runtime;
	enum workload_qos qos;
	bool gone;				/* set by workload_cache only: the cgroup was removed since it was named */
	const char *path;			/* set by workload_cache only: the cgroup2 path it resolved; NULL otherwise */
	char id[WORKLOAD_ID_LEN + 1];		/* container id, 64 lower-case hex digits */
	char short_id[WORKLOAD_SHORT_ID_LEN + 1];
	char pod_uid[WORKLOAD_POD_UID_LEN + 1];	/* with dashes, whatever the driver wrote */
	char unit[WORKLOAD_UNIT_MAX];		/* the deepest systemd unit on the path (nginx.service, docker-ID.scope) */
	char name[WORKLOAD_NAME_MAX];		/* for display: docker:3f1c0d9e8b7a, nginx.service, host (docs/workloads.md) */
};

/*
 * Names the workload of a cgroup path: cgroup2 ("/system.slice/docker-ID.scope")
 * or a v1 hierarchy's ("/docker/ID"); len bytes from path, which need not be
 * NUL-terminated. Pure: no allocation, no system call. The component nearest
 * the leaf that names a container wins. Leading ".." components (a path seen
 * from another cgroup namespace) are skipped. 0, or -EINVAL (a NUL byte, a
 * "." or a later ".." component, an empty path), -ENAMETOOLONG (len >=
 * WORKLOAD_PATH_MAX); out is zeroed on error.
 */
HM_MUST_CHECK
int workload_parse(const char *path, size_t len, struct workload *out);

/* "docker", "containerd", "crio", "podman", "cri", "service", "systemd", "host", "other". */
const char *workload_runtime_name(enum workload_runtime rt);
/* "guaranteed", "burstable", "besteffort", "" for none. */
const char *workload_qos_name(enum workload_qos qos);

#endif /* HOSTMON_WORKLOAD_H */
