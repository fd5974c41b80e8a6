/* Unit tests of agent/probes/workload.c (names from cgroup paths of every runtime, cgroup2 and v1, hostile paths) and of workload_cache.c with its resolver over a fake tree. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "probes/workload.h"
#include "probes/workload_cache.h"

#define ID_A "3f1c0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c"
#define ID_B "9b2e4c6a8d0f1e3c5a7b9d1f3e5c7a9b0d2f4e6c8a0b1d3f5e7c9a1b3d5f7e9c"
#define UID "1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901"
#define UID_ "1b2c3d4e_5f60_7182_93a4_b5c6d7e8f901"

/* What a path must be named: "" for a field that must be empty. */
struct want {
	const char *path;
	enum workload_runtime runtime;
	const char *id;
	const char *pod_uid;
	enum workload_qos qos;
	const char *unit;
	const char *name;
};

static void expect_workload(const struct want *t)
{
	struct workload w;
	int err = workload_parse(t->path, strlen(t->path), &w);

	if (err)
		fail_msg("%s: expected a name, got error %d", t->path, err);
	if (w.runtime != t->runtime)
		fail_msg("%s: expected runtime %s, got %s", t->path, workload_runtime_name(t->runtime),
			 workload_runtime_name(w.runtime));
	if (strcmp(w.id, t->id) || strncmp(w.short_id, t->id, WORKLOAD_SHORT_ID_LEN) ||
	    strlen(w.short_id) != (t->id[0] ? WORKLOAD_SHORT_ID_LEN : 0))
		fail_msg("%s: expected id '%s', got '%s' (short '%s')", t->path, t->id, w.id, w.short_id);
	if (strcmp(w.pod_uid, t->pod_uid) || w.qos != t->qos)
		fail_msg("%s: expected pod '%s' %s, got '%s' %s", t->path, t->pod_uid,
			 workload_qos_name(t->qos), w.pod_uid, workload_qos_name(w.qos));
	if (strcmp(w.unit, t->unit))
		fail_msg("%s: expected unit '%s', got '%s'", t->path, t->unit, w.unit);
	if (strcmp(w.name, t->name))
		fail_msg("%s: expected name '%s', got '%s'", t->path, t->name, w.name);
}

static void expect_table(const struct want *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_workload(&t[i]);
}

#define B WORKLOAD_QOS_BURSTABLE
#define BE WORKLOAD_QOS_BESTEFFORT
#define G WORKLOAD_QOS_GUARANTEED
#define NONE WORKLOAD_QOS_NONE

static void test_containers_named_from_cgroup2_paths(void **state)
{
	static const struct want t[] = {
		{ "/system.slice/docker-" ID_A ".scope", WORKLOAD_DOCKER, ID_A, "", NONE,
		  "docker-" ID_A ".scope", "docker:3f1c0d9e8b7a" },
		{ "/system.slice/crio-" ID_B ".scope", WORKLOAD_CRIO, ID_B, "", NONE,
		  "crio-" ID_B ".scope", "crio:9b2e4c6a8d0f" },
		{ "/machine.slice/libpod-" ID_A ".scope", WORKLOAD_PODMAN, ID_A, "", NONE,
		  "libpod-" ID_A ".scope", "podman:3f1c0d9e8b7a" },
		/* Rootless podman in a user session. */
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_B ".scope",
		  WORKLOAD_PODMAN, ID_B, "", NONE, "libpod-" ID_B ".scope", "podman:9b2e4c6a8d0f" },
		/* Kubernetes, systemd driver: each QoS class, guaranteed pods sit right under kubepods. */
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		  ".slice/cri-containerd-" ID_A ".scope", WORKLOAD_CONTAINERD, ID_A, UID, B,
		  "cri-containerd-" ID_A ".scope", "k8s:pod " UID " burstable containerd:3f1c0d9e8b7a" },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
		  ".slice/crio-" ID_B ".scope", WORKLOAD_CRIO, ID_B, UID, BE, "crio-" ID_B ".scope",
		  "k8s:pod " UID " besteffort crio:9b2e4c6a8d0f" },
		{ "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID_A ".scope",
		  WORKLOAD_CONTAINERD, ID_A, UID, G, "cri-containerd-" ID_A ".scope",
		  "k8s:pod " UID " guaranteed containerd:3f1c0d9e8b7a" },
		/* A kubelet with its own cgroup root (kind): the slices carry its prefix. */
		{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
		  "kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID_B ".scope",
		  WORKLOAD_CONTAINERD, ID_B, UID, BE, "cri-containerd-" ID_B ".scope",
		  "k8s:pod " UID " besteffort containerd:9b2e4c6a8d0f" },
		/* The pod's own cgroup, no container. */
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice",
		  WORKLOAD_CRI, "", UID, B, "kubepods-burstable-pod" UID_ ".slice",
		  "k8s:pod " UID " burstable" },
		/* Inside a container: the container, not its init.scope, names it. */
		{ "/system.slice/docker-" ID_A ".scope/init.scope", WORKLOAD_DOCKER, ID_A, "", NONE,
		  "docker-" ID_A ".scope", "docker:3f1c0d9e8b7a" },
		/* The nearest container wins (a container runtime inside a container). */
		{ "/system.slice/docker-" ID_A ".scope/system.slice/crio-" ID_B ".scope", WORKLOAD_CRIO,
		  ID_B, "", NONE, "crio-" ID_B ".scope", "crio:9b2e4c6a8d0f" },
		/* Seen from another cgroup namespace. */
		{ "/../../system.slice/docker-" ID_A ".scope", WORKLOAD_DOCKER, ID_A, "", NONE,
		  "docker-" ID_A ".scope", "docker:3f1c0d9e8b7a" },
	};

	(void)state;
	expect_table(t, sizeof(t) / sizeof(t[0]));
}

static void test_containers_named_from_cgroupfs_and_v1_paths(void **state)
{
	static const struct want t[] = {
		{ "/docker/" ID_A, WORKLOAD_DOCKER, ID_A, "", NONE, "", "docker:3f1c0d9e8b7a" },
		/* Kubernetes with the cgroupfs driver: a bare id, whose runtime the path does not say. */
		{ "/kubepods/burstable/pod" UID "/" ID_B, WORKLOAD_CRI, ID_B, UID, B, "",
		  "k8s:pod " UID " burstable cri:9b2e4c6a8d0f" },
		{ "/kubepods/besteffort/pod" UID "/" ID_A, WORKLOAD_CRI, ID_A, UID, BE, "",
		  "k8s:pod " UID " besteffort cri:3f1c0d9e8b7a" },
		{ "/kubepods/pod" UID "/" ID_A, WORKLOAD_CRI, ID_A, UID, G, "",
		  "k8s:pod " UID " guaranteed cri:3f1c0d9e8b7a" },
		{ "/kubepods/pod" UID, WORKLOAD_CRI, "", UID, G, "", "k8s:pod " UID " guaranteed" },
		/* Podman, cgroupfs driver. */
		{ "/libpod_parent/libpod-" ID_B, WORKLOAD_PODMAN, ID_B, "", NONE, "", "podman:9b2e4c6a8d0f" },
		/* A v1 memory hierarchy under systemd (hybrid host) has the same names. */
		{ "/system.slice/docker-" ID_B ".scope", WORKLOAD_DOCKER, ID_B, "", NONE,
		  "docker-" ID_B ".scope", "docker:9b2e4c6a8d0f" },
		/* dockershim under the kubelet. */
		{ "/kubepods/burstable/pod" UID "/docker-" ID_A ".scope", WORKLOAD_DOCKER, ID_A, UID, B,
		  "docker-" ID_A ".scope", "k8s:pod " UID " burstable docker:3f1c0d9e8b7a" },
	};

	(void)state;
	expect_table(t, sizeof(t) / sizeof(t[0]));
}

static void test_units_sessions_and_host_named(void **state)
{
	static const struct want t[] = {
		{ "/", WORKLOAD_HOST, "", "", NONE, "", "host" },
		{ "/system.slice/nginx.service", WORKLOAD_SERVICE, "", "", NONE, "nginx.service", "nginx.service" },
		/* A service's own sub-cgroups (delegation) are the service's. */
		{ "/system.slice/containerd.service/runtime", WORKLOAD_SERVICE, "", "", NONE,
		  "containerd.service", "containerd.service" },
		{ "/system.slice/system-getty.slice/getty@tty1.service", WORKLOAD_SERVICE, "", "", NONE,
		  "getty@tty1.service", "getty@tty1.service" },
		{ "/system.slice", WORKLOAD_SYSTEMD, "", "", NONE, "system.slice", "system.slice" },
		{ "/user.slice/user-1000.slice/session-3.scope", WORKLOAD_SYSTEMD, "", "", NONE,
		  "session-3.scope", "session-3.scope" },
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/"
		  "vte-spawn-1.scope", WORKLOAD_SYSTEMD, "", "", NONE, "vte-spawn-1.scope", "vte-spawn-1.scope" },
		{ "/system.slice/dev-hugepages.mount", WORKLOAD_SYSTEMD, "", "", NONE, "dev-hugepages.mount",
		  "dev-hugepages.mount" },
		{ "/system.slice/system-systemd\\x2dfsck.slice", WORKLOAD_SYSTEMD, "", "", NONE,
		  "system-systemd\\x2dfsck.slice", "system-systemd\\x2dfsck.slice" },
		/* The runtimes' helpers are units, not containers. */
		{ "/machine.slice/libpod-conmon-" ID_A ".scope", WORKLOAD_SYSTEMD, "", "", NONE,
		  "libpod-conmon-" ID_A ".scope", "libpod-conmon-" ID_A ".scope" },
		{ "/system.slice/docker.service", WORKLOAD_SERVICE, "", "", NONE, "docker.service", "docker.service" },
		/* Kubernetes' QoS slices hold pods, they are not one. */
		{ "/kubepods.slice/kubepods-burstable.slice", WORKLOAD_SYSTEMD, "", "", NONE,
		  "kubepods-burstable.slice", "kubepods-burstable.slice" },
		/* Not recognised: named by the path. */
		{ "/process_api/82269f379b10c9c9a6dae11166890bd3", WORKLOAD_OTHER, "", "", NONE, "",
		  "/process_api/82269f379b10c9c9a6dae11166890bd3" },
		{ "/../..", WORKLOAD_OTHER, "", "", NONE, "", "/../.." },
	};

	(void)state;
	expect_table(t, sizeof(t) / sizeof(t[0]));
}

static void test_lookalike_ids_name_no_container(void **state)
{
	static const struct want t[] = {
		/* 12 digits, 63, 65, upper case, a 'g': no container. */
		{ "/docker/3f1c0d9e8b7a", WORKLOAD_OTHER, "", "", NONE, "", "/docker/3f1c0d9e8b7a" },
		{ "/system.slice/docker-" ID_A "0.scope", WORKLOAD_SYSTEMD, "", "", NONE,
		  "docker-" ID_A "0.scope", "docker-" ID_A "0.scope" },
		{ "/system.slice/docker-" "3f1c0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7" ".scope",
		  WORKLOAD_SYSTEMD, "", "", NONE,
		  "docker-3f1c0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7.scope",
		  "docker-3f1c0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7.scope" },
		{ "/docker/3F1C0D9E8B7A6F5E4D3C2B1A09F8E7D6C5B4A39281706F5E4D3C2B1A0F9E8D7C", WORKLOAD_OTHER,
		  "", "", NONE, "", "/docker/3F1C0D9E8B7A6F5E4D3C2B1A09F8E7D6C5B4A39281706F5E4D3C2B1A0F9E8D7C" },
		{ "/docker/gf1c0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c", WORKLOAD_OTHER,
		  "", "", NONE, "", "/docker/gf1c0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c" },
		/* A bare id outside docker/ or kubepods: could be anything's. */
		{ "/process_api/" ID_A, WORKLOAD_OTHER, "", "", NONE, "", "/process_api/" ID_A },
		/* A pod UID too short, in upper case, with mixed separators: no pod (the container stays). */
		{ "/kubepods/burstable/pod1b2c3d4e-5f60-7182-93a4-b5c6d7e8f90/" ID_A, WORKLOAD_CRI, ID_A, "",
		  NONE, "", "cri:3f1c0d9e8b7a" },
		{ "/kubepods/burstable/pod1B2C3D4E-5F60-7182-93A4-B5C6D7E8F901/" ID_A, WORKLOAD_CRI, ID_A, "",
		  NONE, "", "cri:3f1c0d9e8b7a" },
		{ "/kubepods.slice/kubepods-pod1b2c3d4e_5f60-7182_93a4_b5c6d7e8f901.slice/crio-" ID_A ".scope",
		  WORKLOAD_CRIO, ID_A, "", NONE, "crio-" ID_A ".scope", "crio:3f1c0d9e8b7a" },
		/* A pod-like name outside kubepods is not a pod. */
		{ "/pod" UID, WORKLOAD_OTHER, "", "", NONE, "", "/pod" UID },
	};

	(void)state;
	expect_table(t, sizeof(t) / sizeof(t[0]));
}

static void expect_refused(const char *what, const char *path, size_t len, int want)
{
	struct workload w;
	int err;

	memset(&w, 0x55, sizeof(w));
	err = workload_parse(path, len, &w);
	if (err != want)
		fail_msg("%s: expected error %d, got %d (name '%.40s')", what, want, err, w.name);
	if (w.name[0] || w.id[0] || w.runtime != WORKLOAD_HOST)
		fail_msg("%s: refused, yet the workload was not zeroed", what);
}

static void test_hostile_paths_refused(void **state)
{
	static char longest[WORKLOAD_PATH_MAX + 1];
	const char nul[] = "/system.slice/docker-" ID_A ".scope\0/x";

	(void)state;
	expect_refused("empty", "", 0, -EINVAL);
	expect_refused("a '..' after a name", "/system.slice/../docker-" ID_A ".scope",
		       strlen("/system.slice/../docker-" ID_A ".scope"), -EINVAL);
	expect_refused("a trailing '..'", "/docker/" ID_A "/..", strlen("/docker/" ID_A "/.."), -EINVAL);
	expect_refused("a '.'", "/system.slice/./nginx.service", strlen("/system.slice/./nginx.service"),
		       -EINVAL);
	expect_refused("a NUL byte inside", nul, sizeof(nul) - 1, -EINVAL);
	memset(longest, 'a', sizeof(longest));
	longest[0] = '/';
	expect_refused("WORKLOAD_PATH_MAX bytes", longest, WORKLOAD_PATH_MAX, -ENAMETOOLONG);
	expect_refused("SIZE_MAX bytes", longest, SIZE_MAX, -ENAMETOOLONG);
}

static void assert_printable(const char *what, const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size)
		fail_msg("%s: not NUL-terminated within its %zu bytes", what, size);
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			fail_msg("%s: byte 0x%02x at %zu is not printable", what, (unsigned char)s[i], i);
}

/* The input has no terminator: a read past len lands in the heap's red zone (make SANITIZE=1). */
static void test_untrusted_bytes_never_overrun_and_names_stay_printable(void **state)
{
	static const char *const pieces[] = { "/", "docker-", ID_A, ".scope", "kubepods", "-pod", UID_,
					      ".slice", "\xff\xfe", "\x01", "..", "é", "a", "burstable" };
	struct workload w;
	size_t len;
	char *buf;

	(void)state;
	srand(16);
	for (int round = 0; round < 20000; round++) {
		char path[1024] = "";

		for (int k = rand() % 10; k >= 0; k--)
			strncat(path, pieces[rand() % (sizeof(pieces) / sizeof(pieces[0]))],
				sizeof(path) - strlen(path) - 1);
		len = strlen(path) - (size_t)(rand() % 3 == 0 && path[0] ? rand() % strlen(path) : 0);
		buf = malloc(len ? len : 1);
		assert_non_null(buf);
		memcpy(buf, path, len);
		if (!workload_parse(buf, len, &w)) {
			assert_printable("name", w.name, sizeof(w.name));
			assert_printable("unit", w.unit, sizeof(w.unit));
			assert_true(!w.id[0] || strspn(w.id, "0123456789abcdef") == WORKLOAD_ID_LEN);
		}
		free(buf);
	}
}

/* A path of WORKLOAD_PATH_MAX - 1 bytes is named; its display name is cut, not overrun. */
static void test_longest_path_named_with_cut_name(void **state)
{
	static char path[WORKLOAD_PATH_MAX];
	struct workload w;

	(void)state;
	memset(path, 'x', sizeof(path));
	for (size_t i = 0; i < sizeof(path) - 1; i += 100)
		path[i] = '/';
	memcpy(path + sizeof(path) - 1 - strlen("/docker-" ID_A ".scope"), "/docker-" ID_A ".scope",
	       strlen("/docker-" ID_A ".scope"));
	assert_int_equal(workload_parse(path, sizeof(path) - 1, &w), 0);
	assert_string_equal(w.id, ID_A);
	memset(path, 'x', sizeof(path));
	path[0] = '/';
	assert_int_equal(workload_parse(path, sizeof(path) - 1, &w), 0);
	assert_int_equal(w.runtime, WORKLOAD_OTHER);
	assert_int_equal(strlen(w.name), WORKLOAD_NAME_MAX - 1);
	/* A 300-byte .service is no unit (systemd's limit is 255). */
	memcpy(path + 1 + 300 - strlen(".service"), ".service", strlen(".service"));
	assert_int_equal(workload_parse(path, 301, &w), 0);
	assert_int_equal(w.runtime, WORKLOAD_OTHER);
	assert_string_equal(w.unit, "");
}

/* --- The cache over a fake cgroup tree and /proc ----------------------------------------- */

struct fake {
	char root[64];
	char tree[96];		/* stands for the cgroup2 mount: a directory's inode number is its id */
	char proc[96];
	struct workload_cache *c;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* mkdir -p tree/rel; its inode number. */
static uint64_t fake_cgroup(struct fake *fk, const char *rel)
{
	char path[512], *p;
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", fk->tree, rel);
	for (p = path + strlen(fk->tree) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static int fake_setup(void **state)
{
	struct fake *fk = calloc(1, sizeof(*fk));
	char self[128];

	if (!fk)
		return -1;
	snprintf(fk->root, sizeof(fk->root), "/tmp/test_workload.XXXXXX");
	if (!mkdtemp(fk->root))
		return -1;
	/* A blank in the mount point: mountinfo escapes it as \040. */
	snprintf(fk->tree, sizeof(fk->tree), "%s/cg tree", fk->root);
	snprintf(fk->proc, sizeof(fk->proc), "%s/proc", fk->root);
	snprintf(self, sizeof(self), "%s/self", fk->proc);
	if (mkdir(fk->tree, 0755) || mkdir(fk->proc, 0755) || mkdir(self, 0755))
		return -1;
	fk->c = workload_cache__new(fk->tree, fk->proc, 0);
	if (!fk->c)
		return -1;
	/* Not the kernfs the handles are for: every test walks unless it says otherwise. */
	workload_cache__set_handles(fk->c, false);
	*state = fk;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *fk = *state;
	char cmd[128];

	workload_cache__free(fk->c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fk->root);
	if (system(cmd))
		return -1;
	free(fk);
	return 0;
}

static const struct workload *expect_lookup(struct workload_cache *c, uint64_t cgid, const char *name)
{
	const struct workload *w = NULL;
	int err = workload_cache__lookup(c, cgid, &w);

	if (err)
		fail_msg("cgroup id %llu: expected '%s', got error %d", (unsigned long long)cgid, name, err);
	assert_non_null(w);
	assert_string_equal(w->name, name);
	return w;
}

static struct workload_cache_stats stats_of(struct workload_cache *c)
{
	struct workload_cache_stats st;

	workload_cache__stats(c, &st);
	return st;
}

static void test_cache_names_ids_by_walk_then_hits(void **state)
{
	struct fake *fk = *state;
	uint64_t docker = fake_cgroup(fk, "system.slice/docker-" ID_A ".scope");
	uint64_t pod = fake_cgroup(fk, "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
				   UID_ ".slice/cri-containerd-" ID_B ".scope");
	uint64_t nginx = fake_cgroup(fk, "system.slice/nginx.service");
	struct stat st;
	const struct workload *w;

	assert_int_equal(stat(fk->tree, &st), 0);
	expect_lookup(fk->c, st.st_ino, "host");
	w = expect_lookup(fk->c, docker, "docker:3f1c0d9e8b7a");
	assert_string_equal(w->id, ID_A);
	w = expect_lookup(fk->c, pod, "k8s:pod " UID " burstable containerd:9b2e4c6a8d0f");
	assert_int_equal(w->qos, WORKLOAD_QOS_BURSTABLE);
	expect_lookup(fk->c, nginx, "nginx.service");
	/* The root is known without a walk; each other id took one. */
	assert_int_equal(stats_of(fk->c).walks, 3);
	assert_int_equal(stats_of(fk->c).misses, 4);
	expect_lookup(fk->c, pod, "k8s:pod " UID " burstable containerd:9b2e4c6a8d0f");
	expect_lookup(fk->c, docker, "docker:3f1c0d9e8b7a");
	assert_int_equal(stats_of(fk->c).hits, 2);
	assert_int_equal(stats_of(fk->c).walks, 3);
	assert_int_equal(stats_of(fk->c).entries, 4);
}

static void test_cache_unknown_id_searched_once_then_remembered(void **state)
{
	struct fake *fk = *state;
	const struct workload *w = (const struct workload *)fk;
	char file[160];
	struct stat st;

	fake_cgroup(fk, "system.slice/nginx.service");
	/* An inode that is no directory of the tree. */
	snprintf(file, sizeof(file), "%s/file", fk->root);
	write_file(file, "");
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(workload_cache__lookup(fk->c, st.st_ino, &w), -ENOENT);
	assert_null(w);
	assert_int_equal(workload_cache__lookup(fk->c, st.st_ino, &w), -ENOENT);
	assert_int_equal(stats_of(fk->c).walks, 1);
	assert_int_equal(stats_of(fk->c).negative_hits, 1);
	assert_int_equal(workload_cache__lookup(NULL, st.st_ino, &w), -EINVAL);
}

static void test_cache_removed_cgroup_keeps_name_marked_gone(void **state)
{
	struct fake *fk = *state;
	uint64_t id = fake_cgroup(fk, "system.slice/crio-" ID_A ".scope");
	const struct workload *w;
	char path[256];

	workload_cache__set_ttl(fk->c, 0);
	w = expect_lookup(fk->c, id, "crio:3f1c0d9e8b7a");
	assert_false(w->gone);
	snprintf(path, sizeof(path), "%s/system.slice/crio-" ID_A ".scope", fk->tree);
	assert_int_equal(rmdir(path), 0);
	w = expect_lookup(fk->c, id, "crio:3f1c0d9e8b7a");
	assert_true(w->gone);
	assert_int_equal(stats_of(fk->c).gone, 1);
	/* Gone for good: no more searches for it. */
	expect_lookup(fk->c, id, "crio:3f1c0d9e8b7a");
	assert_int_equal(stats_of(fk->c).walks, 2);
	workload_cache__forget(fk->c, id);
	assert_int_equal(stats_of(fk->c).entries, 0);
	assert_int_equal(workload_cache__lookup(fk->c, id, &w), -ENOENT);
}

static void test_cache_renamed_cgroup_renamed_after_invalidate(void **state)
{
	struct fake *fk = *state;
	uint64_t id = fake_cgroup(fk, "system.slice/old.service");
	char from[256], to[256];

	expect_lookup(fk->c, id, "old.service");
	snprintf(from, sizeof(from), "%s/system.slice/old.service", fk->tree);
	snprintf(to, sizeof(to), "%s/system.slice/new.service", fk->tree);
	assert_int_equal(rename(from, to), 0);
	/* Within the TTL the cached name stands... */
	expect_lookup(fk->c, id, "old.service");
	workload_cache__invalidate(fk->c);
	/* ...until the cache is told to look again. */
	expect_lookup(fk->c, id, "new.service");
}

/* Clock: a full pass clears the use bits; a slot used again since its bit was cleared is spared. */
static void test_cache_bounded_evicts_least_recently_used(void **state)
{
	struct fake *fk = *state;
	struct workload_cache *c = workload_cache__new(fk->tree, fk->proc, 4);
	const struct workload *w;
	uint64_t id[6];
	char rel[64];

	assert_non_null(c);
	workload_cache__set_handles(c, false);
	for (int i = 0; i < 6; i++) {
		snprintf(rel, sizeof(rel), "system.slice/s%d.service", i);
		id[i] = fake_cgroup(fk, rel);
	}
	for (int i = 0; i < 5; i++)
		assert_int_equal(workload_cache__lookup(c, id[i], &w), 0);
	/* s0 went for s4; s1 is used again, so s2 goes for s5. */
	assert_int_equal(workload_cache__lookup(c, id[1], &w), 0);
	assert_int_equal(workload_cache__lookup(c, id[5], &w), 0);
	assert_int_equal(stats_of(c).evictions, 2);
	assert_int_equal(stats_of(c).entries, 4);
	assert_int_equal(stats_of(c).capacity, 4);
	expect_lookup(c, id[1], "s1.service");
	assert_int_equal(stats_of(c).walks, 6);
	expect_lookup(c, id[2], "s2.service");
	assert_int_equal(stats_of(c).walks, 7);
	workload_cache__free(c);
}

static void test_cache_v1_memory_cgroup_names_cgroupfs_container(void **state)
{
	struct fake *fk = *state;
	uint64_t plain = fake_cgroup(fk, "plain"), empty = fake_cgroup(fk, "empty");
	char path[256];
	const struct workload *w;

	/* The runtime's cgroupfs driver wrote only v1 names; in cgroup2 its process sits in "plain". */
	snprintf(path, sizeof(path), "%s/plain/cgroup.procs", fk->tree);
	write_file(path, "4242\n4243\n");
	snprintf(path, sizeof(path), "%s/4242", fk->proc);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/4242/cgroup", fk->proc);
	write_file(path, "9:name=systemd:/\n4:memory:/docker/" ID_B "\n0::/plain\n");
	w = expect_lookup(fk->c, plain, "docker:9b2e4c6a8d0f");
	assert_int_equal(w->runtime, WORKLOAD_DOCKER);
	assert_int_equal(stats_of(fk->c).v1_fallbacks, 1);
	/* No member to ask: the cgroup2 path alone. */
	expect_lookup(fk->c, empty, "/empty");
	assert_int_equal(stats_of(fk->c).v1_fallbacks, 1);
}

static void test_cache_finds_cgroup2_mount_in_mountinfo(void **state)
{
	struct fake *fk = *state;
	uint64_t id = fake_cgroup(fk, "system.slice/docker-" ID_A ".scope");
	struct workload_cache *c;
	char path[160], text[512];
	const char *escaped = strstr(fk->tree, " ");

	snprintf(path, sizeof(path), "%s/self/mountinfo", fk->proc);
	write_file(path, "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
			 "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
	c = workload_cache__new(NULL, fk->proc, 0);
	assert_null(c);
	assert_int_equal(errno, ENOENT);
	snprintf(text, sizeof(text), "41 31 0:38 / %.*s\\040%s rw,relatime shared:9 - cgroup2 cgroup2 rw\n",
		 (int)(escaped - fk->tree), fk->tree, escaped + 1);
	write_file(path, text);
	c = workload_cache__new(NULL, fk->proc, 0);
	assert_non_null(c);
	workload_cache__set_handles(c, false);
	expect_lookup(c, id, "docker:3f1c0d9e8b7a");
	workload_cache__free(c);
	workload_cache__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containers_named_from_cgroup2_paths),
		cmocka_unit_test(test_containers_named_from_cgroupfs_and_v1_paths),
		cmocka_unit_test(test_units_sessions_and_host_named),
		cmocka_unit_test(test_lookalike_ids_name_no_container),
		cmocka_unit_test(test_hostile_paths_refused),
		cmocka_unit_test(test_untrusted_bytes_never_overrun_and_names_stay_printable),
		cmocka_unit_test(test_longest_path_named_with_cut_name),
		cmocka_unit_test_setup_teardown(test_cache_names_ids_by_walk_then_hits, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_cache_unknown_id_searched_once_then_remembered, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_cache_removed_cgroup_keeps_name_marked_gone, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_cache_renamed_cgroup_renamed_after_invalidate, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_cache_bounded_evicts_least_recently_used, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_cache_v1_memory_cgroup_names_cgroupfs_container, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_cache_finds_cgroup2_mount_in_mountinfo, fake_setup,
						fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
