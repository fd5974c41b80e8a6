/* Workload names from cgroup paths (a pure parser), and the cache that finds a cgroup id's path on the cgroup2 mount. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "core/clock.h"
#include "probes/workload.h"

/* One path component: len bytes at s, no '/'. */
struct comp {
	const char *s;
	size_t len;
};

static bool comp_is(struct comp c, const char *lit)
{
	return c.len == strlen(lit) && !memcmp(c.s, lit, c.len);
}

static bool has_prefix(struct comp c, const char *lit)
{
	size_t n = strlen(lit);

	return c.len >= n && !memcmp(c.s, lit, n);
}

static bool has_suffix(struct comp c, const char *lit)
{
	size_t n = strlen(lit);

	return c.len >= n && !memcmp(c.s + c.len - n, lit, n);
}

static bool contains(struct comp c, const char *lit)
{
	return memmem(c.s, c.len, lit, strlen(lit)) != NULL;
}

/* The component starting at or after *pos (slashes skipped); false at the end. */
static bool next_comp(const char *path, size_t len, size_t *pos, struct comp *c)
{
	size_t i = *pos, start;

	while (i < len && path[i] == '/')
		i++;
	if (i == len)
		return false;
	start = i;
	while (i < len && path[i] != '/')
		i++;
	c->s = path + start;
	c->len = i - start;
	*pos = i;
	return true;
}

/*
 * Checks the bytes and skips a leading run of ".." (a path read from
 * inside a cgroup namespace shows its ancestors that way); *start gets the
 * offset of what follows. 0 or -errno as workload_parse says.
 */
static int check_path(const char *path, size_t len, size_t *start)
{
	bool named = false;
	size_t pos = 0;
	struct comp c;

	if (len >= WORKLOAD_PATH_MAX)
		return -ENAMETOOLONG;
	if (!len || memchr(path, 0, len))
		return -EINVAL;
	*start = 0;
	while (next_comp(path, len, &pos, &c)) {
		if (comp_is(c, ".") || (named && comp_is(c, "..")))
			return -EINVAL;
		if (!named && comp_is(c, ".."))
			*start = pos;
		else
			named = true;
	}
	return 0;
}

/* --- Containers ------------------------------------------------------------------------ */

static bool is_hex_id(const char *s, size_t len)
{
	if (len != WORKLOAD_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static const struct {
	const char *prefix;
	enum workload_runtime runtime;
} id_prefixes[] = {
	{ "docker-", WORKLOAD_DOCKER },
	{ "cri-containerd-", WORKLOAD_CONTAINERD },
	{ "crio-", WORKLOAD_CRIO },
	{ "libpod-", WORKLOAD_PODMAN },
};

static enum workload_runtime bare_owner(const char *path, size_t at);

/*
 * PREFIX-ID or PREFIX-ID.scope, or a bare ID when its place in path says
 * whose it is: the runtime, with *id set; WORKLOAD_HOST when the component
 * c names no container.
 */
static enum workload_runtime comp_container(const char *path, struct comp c, const char **id)
{
	enum workload_runtime bare_rt;
	size_t plen;

	if (has_suffix(c, ".scope") && c.len > 6)
		c.len -= 6;
	if (is_hex_id(c.s, c.len)) {
		bare_rt = bare_owner(path, (size_t)(c.s - path));
		*id = c.s;
		return bare_rt;
	}
	for (size_t i = 0; i < sizeof(id_prefixes) / sizeof(id_prefixes[0]); i++) {
		plen = strlen(id_prefixes[i].prefix);
		if (c.len > plen && has_prefix(c, id_prefixes[i].prefix) &&
		    is_hex_id(c.s + plen, c.len - plen)) {
			*id = c.s + plen;
			return id_prefixes[i].runtime;
		}
	}
	return WORKLOAD_HOST;
}

/* Whose a bare ID at offset at is: Docker's below "docker" (cgroupfs driver), the kubelet's below any kubepods*. */
static enum workload_runtime bare_owner(const char *path, size_t at)
{
	struct comp c, parent = { NULL, 0 };
	bool kube = false;
	size_t pos = 0;

	while (next_comp(path, at, &pos, &c)) {
		kube |= has_prefix(c, "kubepods");
		parent = c;
	}
	if (parent.s && comp_is(parent, "docker"))
		return WORKLOAD_DOCKER;
	return kube ? WORKLOAD_CRI : WORKLOAD_HOST;
}

/* The container component nearest the leaf: its runtime and id, *at its offset; WORKLOAD_HOST: none. */
static enum workload_runtime find_container(const char *path, size_t len, const char **id, size_t *at)
{
	enum workload_runtime rt;
	size_t end = len, start;
	struct comp c;

	while (end > 0) {
		start = end;
		while (start > 0 && path[start - 1] != '/')
			start--;
		c = (struct comp){ path + start, end - start };
		rt = c.len ? comp_container(path, c, id) : WORKLOAD_HOST;
		if (rt != WORKLOAD_HOST) {
			*at = start;
			return rt;
		}
		end = start > 0 ? start - 1 : 0;
	}
	return WORKLOAD_HOST;
}

/* --- Kubernetes pods ------------------------------------------------------------------- */

/* 36 bytes: 8-4-4-4-12 lower-case hex, separators all '-' (cgroupfs) or all '_' (systemd); out with dashes. */
static bool pod_uid(const char *s, size_t len, char *out)
{
	char sep = len == WORKLOAD_POD_UID_LEN ? s[8] : 0, uid[WORKLOAD_POD_UID_LEN + 1];

	if (sep != '-' && sep != '_')
		return false;
	for (size_t i = 0; i < WORKLOAD_POD_UID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != sep : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
		uid[i] = dash ? '-' : s[i];
	}
	uid[WORKLOAD_POD_UID_LEN] = 0;
	memcpy(out, uid, sizeof(uid));
	return true;
}

/* podUID (cgroupfs) or ...kubepods[-QOS]-podUID.slice (systemd): true with uid set. */
static bool comp_pod(struct comp c, char *uid)
{
	const size_t n = WORKLOAD_POD_UID_LEN, tail = 3 + WORKLOAD_POD_UID_LEN + 6;

	if (c.len == 3 + n && has_prefix(c, "pod"))
		return pod_uid(c.s + 3, n, uid);
	if (c.len > tail && has_suffix(c, ".slice") && contains(c, "kubepods") &&
	    !memcmp(c.s + c.len - tail - 1, "-pod", 4))
		return pod_uid(c.s + c.len - 6 - n, n, uid);
	return false;
}

static enum workload_qos comp_qos(struct comp c)
{
	if (comp_is(c, "burstable") || contains(c, "kubepods-burstable"))
		return WORKLOAD_QOS_BURSTABLE;
	if (comp_is(c, "besteffort") || contains(c, "kubepods-besteffort"))
		return WORKLOAD_QOS_BESTEFFORT;
	return WORKLOAD_QOS_NONE;
}

/* The pod above len (below a kubepods* component): its UID and QoS class into w; false when none. */
static bool find_pod(const char *path, size_t len, struct workload *w)
{
	enum workload_qos qos = WORKLOAD_QOS_NONE, q;
	bool kube = false;
	size_t pos = 0;
	struct comp c;

	while (next_comp(path, len, &pos, &c)) {
		kube |= contains(c, "kubepods");
		if (!kube)
			continue;
		q = comp_qos(c);
		qos = q != WORKLOAD_QOS_NONE ? q : qos;
		if (!w->pod_uid[0] && comp_pod(c, w->pod_uid))
			break;
	}
	if (!w->pod_uid[0])
		return false;
	w->qos = qos != WORKLOAD_QOS_NONE ? qos : WORKLOAD_QOS_GUARANTEED;
	return true;
}

/* --- systemd units --------------------------------------------------------------------- */

static bool unit_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr(":_.@\\-", ch));
}

/* A unit with a cgroup of its own: NAME.service, .scope, .slice, .socket, .mount, .swap. */
static bool comp_unit(struct comp c)
{
	static const char *const suffixes[] = { ".service", ".scope", ".slice", ".socket", ".mount", ".swap" };
	bool suffixed = false;

	if (c.len >= WORKLOAD_UNIT_MAX)
		return false;
	for (size_t i = 0; i < c.len; i++)
		if (!unit_char(c.s[i]))
			return false;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		suffixed |= has_suffix(c, suffixes[i]) && c.len > strlen(suffixes[i]);
	return suffixed;
}

/* The deepest unit in the first len bytes into w->unit; false when none. */
static bool find_unit(const char *path, size_t len, struct workload *w)
{
	struct comp c, unit = { NULL, 0 };
	size_t pos = 0;

	while (next_comp(path, len, &pos, &c))
		if (comp_unit(c))
			unit = c;
	if (!unit.s)
		return false;
	memcpy(w->unit, unit.s, unit.len);
	w->unit[unit.len] = 0;
	return true;
}

/* --- Names ----------------------------------------------------------------------------- */

/* Printable ASCII, other bytes as '?', cut to fit. */
static void printable(char *out, size_t size, const char *s, size_t len)
{
	size_t n = len < size - 1 ? len : size - 1;

	for (size_t i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[n] = 0;
}

static void name_container(struct workload *w)
{
	const char *rt = workload_runtime_name(w->runtime);

	if (w->pod_uid[0])
		snprintf(w->name, sizeof(w->name), "k8s:pod %s %s %s:%s", w->pod_uid,
			 workload_qos_name(w->qos), rt, w->short_id);
	else
		snprintf(w->name, sizeof(w->name), "%s:%s", rt, w->short_id);
}

/* Everything but a container: a pod's own cgroup, a unit, the root, or the path itself. */
static void name_other(struct workload *w, const char *path, size_t len, size_t start)
{
	size_t pos = start;
	struct comp c;

	if (w->pod_uid[0]) {
		w->runtime = WORKLOAD_CRI;
		snprintf(w->name, sizeof(w->name), "k8s:pod %s %s", w->pod_uid, workload_qos_name(w->qos));
	} else if (w->unit[0]) {
		w->runtime = has_suffix((struct comp){ w->unit, strlen(w->unit) }, ".service") ?
				     WORKLOAD_SERVICE : WORKLOAD_SYSTEMD;
		snprintf(w->name, sizeof(w->name), "%s", w->unit);
	} else if (!start && !next_comp(path, len, &pos, &c)) {
		w->runtime = WORKLOAD_HOST;
		snprintf(w->name, sizeof(w->name), "host");
	} else {
		w->runtime = WORKLOAD_OTHER;
		printable(w->name, sizeof(w->name), path, len);
	}
}

int workload_parse(const char *path, size_t len, struct workload *out)
{
	enum workload_runtime rt;
	const char *id = NULL;
	size_t start, at;
	int err;

	memset(out, 0, sizeof(*out));
	err = check_path(path, len, &start);
	if (err)
		return err;
	rt = find_container(path, len, &id, &at);
	/* Units and pods down to the container only: a unit inside it (init.scope) is not its name. */
	if (rt == WORKLOAD_HOST)
		at = len;
	else
		while (at < len && path[at] != '/')
			at++;
	find_unit(path + start, at - start, out);
	find_pod(path + start, at - start, out);
	if (rt == WORKLOAD_HOST) {
		name_other(out, path, len, start);
		return 0;
	}
	out->runtime = rt;
	memcpy(out->id, id, WORKLOAD_ID_LEN);
	memcpy(out->short_id, id, WORKLOAD_SHORT_ID_LEN);
	name_container(out);
	return 0;
}

const char *workload_runtime_name(enum workload_runtime rt)
{
	static const char *const names[WORKLOAD_RUNTIME_MAX] = {
		[WORKLOAD_HOST] = "host",	    [WORKLOAD_DOCKER] = "docker",
		[WORKLOAD_CONTAINERD] = "containerd", [WORKLOAD_CRIO] = "crio",
		[WORKLOAD_PODMAN] = "podman",	    [WORKLOAD_CRI] = "cri",
		[WORKLOAD_SERVICE] = "service",	    [WORKLOAD_SYSTEMD] = "systemd",
		[WORKLOAD_OTHER] = "other",
	};

	return (unsigned int)rt < WORKLOAD_RUNTIME_MAX ? names[rt] : "other";
}

const char *workload_qos_name(enum workload_qos qos)
{
	static const char *const names[WORKLOAD_QOS_MAX] = {
		[WORKLOAD_QOS_NONE] = "",
		[WORKLOAD_QOS_GUARANTEED] = "guaranteed",
		[WORKLOAD_QOS_BURSTABLE] = "burstable",
		[WORKLOAD_QOS_BESTEFFORT] = "besteffort",
	};

	return (unsigned int)qos < WORKLOAD_QOS_MAX ? names[qos] : "";
}

/* --- The cache ------------------------------------------------------------------------- */

#define NIL		UINT32_MAX
/* FILEID_KERNFS (include/linux/exportfs.h): a kernfs handle is the node's 64-bit id. */
#define HANDLE_KERNFS	0xfe

enum slot_state { SLOT_FREE, SLOT_NAMED, SLOT_MISSING };

/* Hand-written, as pidcache's: a fixed array of slots, chained by index, evicted by a clock hand. */
struct slot {
	uint64_t cgid;
	uint64_t when_s;		/* monotonic seconds when resolved */
	uint32_t hnext;			/* next slot of the bucket, NIL */
	uint8_t state;			/* enum slot_state */
	uint8_t ref;			/* used since the hand last passed */
	uint8_t stale;			/* workload_cache__invalidate: resolve again */
	char *path;			/* w.path's bytes: the cgroup2 path it was resolved from */
	struct workload w;
};

struct workload_cache {
	struct slot *slots;
	uint32_t *buckets;		/* first slot of each chain, NIL */
	uint32_t nbuckets;		/* power of two */
	uint32_t used;			/* slots handed out at least once */
	uint32_t hand;
	uint32_t ttl_s;
	int root_fd;
	uint64_t root_id;		/* the root cgroup's inode number */
	struct workload_cache_stats st;
	struct workload scratch;
	char root[PATH_MAX];		/* the cgroup2 mount point, no trailing '/' */
	char proc[PATH_MAX];
	char path[WORKLOAD_PATH_MAX];	/* the cgroup path being resolved */
	uint32_t hint_pid;		/* a process in the cgroup being resolved; 0: none */
	char buf[2 * WORKLOAD_PATH_MAX + 1024];	/* a process's /proc/PID/cgroup */
};

static uint32_t hash_id(uint64_t id, uint32_t nbuckets)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (uint32_t)id & (nbuckets - 1);
}

/* Undoes mountinfo's octal escapes (\040 for a blank) in place. */
static void unescape_mountinfo(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* The mount point of the first cgroup2 file system in mountinfo into out; -ENOENT when none. */
static int find_cgroup2(const char *mountinfo, char *out, size_t len)
{
	char line[2 * PATH_MAX], point[PATH_MAX];
	const char *sep;
	int err = -ENOENT;
	FILE *f = fopen(mountinfo, "re");

	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		/* id parent major:minor root mount-point ...; " - " then the type. */
		if (!sep || strncmp(sep, " - cgroup2 ", 11) ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		unescape_mountinfo(point);
		if (strlen(point) < len) {
			snprintf(out, len, "%s", point);
			err = 0;
		}
	}
	(void)fclose(f);	/* read only: nothing to lose */
	return err;
}

static int open_root(struct workload_cache *c, const char *root)
{
	char mountinfo[PATH_MAX + 32];
	struct stat st;
	int err;

	snprintf(mountinfo, sizeof(mountinfo), "%s/self/mountinfo", c->proc);
	err = root ? 0 : find_cgroup2(mountinfo, c->root, sizeof(c->root));
	if (err)
		return err;
	if (root)
		snprintf(c->root, sizeof(c->root), "%s", root);
	/* "/" as the mount point: prefixes are compared without the trailing '/'. */
	if (!strcmp(c->root, "/"))
		c->root[0] = 0;
	c->root_fd = open(c->root[0] ? c->root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->root_fd < 0 || fstat(c->root_fd, &st))
		return -errno;
	c->root_id = st.st_ino;
	return 0;
}

struct workload_cache *workload_cache__new(const char *root, const char *proc_root, uint32_t capacity)
{
	struct workload_cache *c = calloc(1, sizeof(*c));
	int err = -ENOMEM;

	if (!c)
		return NULL;
	c->root_fd = -1;
	c->st.capacity = capacity ? capacity : WORKLOAD_CACHE_CAPACITY;
	for (c->nbuckets = 1; c->nbuckets < c->st.capacity; c->nbuckets <<= 1)
		;
	c->slots = calloc(c->st.capacity, sizeof(*c->slots));
	c->buckets = malloc(c->nbuckets * sizeof(*c->buckets));
	if (!c->slots || !c->buckets)
		goto fail;
	memset(c->buckets, 0xff, c->nbuckets * sizeof(*c->buckets));
	c->ttl_s = WORKLOAD_CACHE_TTL_S;
	c->st.handles = true;
	snprintf(c->proc, sizeof(c->proc), "%s", proc_root ? proc_root : "/proc");
	err = open_root(c, root);
	if (!err)
		return c;
fail:
	workload_cache__free(c);
	errno = -err;
	return NULL;
}

void workload_cache__free(struct workload_cache *c)
{
	if (!c)
		return;
	if (c->root_fd >= 0)
		close(c->root_fd);
	for (uint32_t i = 0; c->slots && i < c->used; i++)
		free(c->slots[i].path);
	free(c->slots);
	free(c->buckets);
	free(c);
}

void workload_cache__set_ttl(struct workload_cache *c, uint32_t ttl_s)
{
	c->ttl_s = ttl_s;
}

void workload_cache__set_handles(struct workload_cache *c, bool on)
{
	c->st.handles = on;
}

void workload_cache__stats(const struct workload_cache *c, struct workload_cache_stats *st)
{
	if (c)
		*st = c->st;
	else
		memset(st, 0, sizeof(*st));
}

/* --- Slots ----------------------------------------------------------------------------- */

static struct slot *find_slot(struct workload_cache *c, uint64_t cgid)
{
	uint32_t i = c->buckets[hash_id(cgid, c->nbuckets)];

	while (i != NIL && c->slots[i].cgid != cgid)
		i = c->slots[i].hnext;
	return i == NIL ? NULL : &c->slots[i];
}

static void unlink_slot(struct workload_cache *c, struct slot *s)
{
	uint32_t *p = &c->buckets[hash_id(s->cgid, c->nbuckets)], self = (uint32_t)(s - c->slots);

	while (*p != self)
		p = &c->slots[*p].hnext;
	*p = s->hnext;
	s->state = SLOT_FREE;
	c->st.entries--;
}

/* A slot never used, else the first the clock hand finds free or unused since its last pass. */
static struct slot *take_slot(struct workload_cache *c)
{
	struct slot *s;

	if (c->used < c->st.capacity)
		return &c->slots[c->used++];
	for (;;) {
		s = &c->slots[c->hand];
		c->hand = (c->hand + 1) % c->st.capacity;
		if (s->state == SLOT_FREE)
			return s;
		if (!s->ref)
			break;
		s->ref = 0;
	}
	unlink_slot(c, s);
	c->st.evictions++;
	return s;
}

static struct slot *insert_slot(struct workload_cache *c, uint64_t cgid)
{
	struct slot *s = take_slot(c);
	uint32_t b = hash_id(cgid, c->nbuckets);

	s->cgid = cgid;
	s->hnext = c->buckets[b];
	c->buckets[b] = (uint32_t)(s - c->slots);
	c->st.entries++;
	return s;
}

void workload_cache__forget(struct workload_cache *c, uint64_t cgid)
{
	struct slot *s = c ? find_slot(c, cgid) : NULL;

	if (s)
		unlink_slot(c, s);
}

void workload_cache__invalidate(struct workload_cache *c)
{
	for (uint32_t i = 0; c && i < c->used; i++)
		c->slots[i].stale = 1;
}

/* --- Resolution: cgroup id -> path ------------------------------------------------------ */

/*
 * c->path by the id's file handle: 0; -ENOENT, the cgroup is gone; -EXDEV,
 * the descriptor's path is not under the mount (another mount namespace);
 * other -errno (EPERM without CAP_DAC_READ_SEARCH): handles are no use.
 */
static int path_by_handle(struct workload_cache *c, uint64_t cgid)
{
	char buf[sizeof(struct file_handle) + sizeof(cgid)] __attribute__((aligned(8)));
	char link[64], target[PATH_MAX];
	struct file_handle *fh = (struct file_handle *)buf;
	size_t rlen = strlen(c->root);
	ssize_t n;
	int fd, err = 0;

	fh->handle_bytes = sizeof(cgid);
	fh->handle_type = HANDLE_KERNFS;
	memcpy(fh->f_handle, &cgid, sizeof(cgid));
	fd = open_by_handle_at(c->root_fd, fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ESTALE ? -ENOENT : -errno;
	c->st.handle_opens++;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	target[n] = 0;
	if (strncmp(target, c->root, rlen) || (target[rlen] && target[rlen] != '/') ||
	    strlen(target + rlen) >= sizeof(c->path))
		return -EXDEV;
	snprintf(c->path, sizeof(c->path), "%s", target[rlen] ? target + rlen : "/");
	return 0;
}

struct walk {
	uint64_t cgid;
	uint32_t dirs;
	uint32_t depth;
};

static int walk_dir(struct workload_cache *c, struct walk *wk, int fd, size_t len);

/* One subdirectory: 1 when it is cgid (c->path completed), 0 to go on, -E2BIG to stop. */
static int walk_entry(struct workload_cache *c, struct walk *wk, int parent, const struct dirent *de,
		      size_t len)
{
	size_t n = strlen(de->d_name);
	int fd, found;

	if (len + 1 + n >= sizeof(c->path))
		return 0;
	c->path[len] = '/';
	memcpy(c->path + len + 1, de->d_name, n + 1);
	if (de->d_ino == wk->cgid)
		return 1;
	if (wk->depth + 1 >= WORKLOAD_WALK_MAX_DEPTH)
		return 0;
	if (wk->dirs >= WORKLOAD_WALK_MAX_DIRS)
		return -E2BIG;
	/* Removed since readdir saw it: nothing below to look at. */
	fd = openat(parent, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	wk->depth++;
	found = walk_dir(c, wk, fd, len + 1 + n);
	wk->depth--;
	return found;
}

/* Looks below the directory fd (c->path's first len bytes name it; fd is consumed). */
static int walk_dir(struct workload_cache *c, struct walk *wk, int fd, size_t len)
{
	struct dirent *de;
	int found = 0;
	DIR *d = fdopendir(fd);

	if (!d) {
		close(fd);
		return 0;
	}
	wk->dirs++;
	c->st.walk_dirs++;
	/* d_ino of a cgroup2 directory is its cgroup id: no stat needed. */
	while (!found && (de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			found = walk_entry(c, wk, dirfd(d), de, len);
	closedir(d);
	return found;
}

/* c->path by a walk of the tree: 0, -ENOENT when not found, -errno. */
static int path_by_walk(struct workload_cache *c, uint64_t cgid)
{
	struct walk wk = { .cgid = cgid };
	int fd, found;

	c->st.walks++;
	fd = openat(c->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	found = walk_dir(c, &wk, fd, 0);
	if (found == -E2BIG)
		c->st.walk_truncated++;
	return found == 1 ? 0 : -ENOENT;
}

/* /proc/PID/cgroup into c->buf (NUL-terminated): 0, or -ENOENT (no such process). */
static int read_proc_cgroup(struct workload_cache *c, long pid)
{
	char file[PATH_MAX + 32];
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "%s/%ld/cgroup", c->proc, pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	n = read(fd, c->buf, sizeof(c->buf) - 1);
	close(fd);
	c->buf[n > 0 ? n : 0] = 0;
	return 0;
}

/*
 * c->path from the hint process's /proc/PID/cgroup "0::" line, if that
 * directory is cgid: 0, or -ENOENT (gone, moved, not in our namespace).
 */
static int path_by_pid(struct workload_cache *c, uint64_t cgid)
{
	char *line, *save = NULL;
	struct stat st;

	if (read_proc_cgroup(c, c->hint_pid))
		return -ENOENT;
	for (line = strtok_r(c->buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "0::/", 4) || strlen(line + 3) >= sizeof(c->path))
			continue;
		if (fstatat(c->root_fd, line[4] ? line + 4 : ".", &st, 0) || st.st_ino != cgid)
			return -ENOENT;
		snprintf(c->path, sizeof(c->path), "%s", line + 3);
		c->st.pid_paths++;
		return 0;
	}
	return -ENOENT;
}

/* c->path of cgid: the root, else by a member's /proc entry, else by handle while handles work, else by a walk. */
static int find_path(struct workload_cache *c, uint64_t cgid)
{
	int err;

	if (cgid == c->root_id) {
		snprintf(c->path, sizeof(c->path), "/");
		return 0;
	}
	if (c->hint_pid && !path_by_pid(c, cgid))
		return 0;
	if (c->st.handles) {
		err = path_by_handle(c, cgid);
		if (!err || err == -ENOENT)
			return err;
		/* EPERM once privileges are dropped, EOPNOTSUPP on file systems without handles. */
		if (err != -EXDEV)
			c->st.handles = false;
	}
	return path_by_walk(c, cgid);
}

/* --- Resolution: path -> workload ------------------------------------------------------- */

/* The first pid in the cgroup at c->path; 0 when it has none or cannot be read. */
static long first_member(struct workload_cache *c)
{
	char file[WORKLOAD_PATH_MAX + 16], buf[32], *end;
	ssize_t n;
	long pid;
	int fd;

	snprintf(file, sizeof(file), "%s%scgroup.procs", c->path + 1, c->path[1] ? "/" : "");
	fd = openat(c->root_fd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	errno = 0;
	pid = strtol(buf, &end, 10);
	return errno || end == buf || *end != '\n' || pid <= 0 || pid > INT_MAX ? 0 : pid;
}

/*
 * Hybrid hosts: a cgroupfs-driver runtime names its containers in the v1
 * hierarchies only, its processes sit in the runtime's cgroup2 one. The
 * memory line of a member's /proc/PID/cgroup, when it names a container,
 * names w. 0, or -ENOENT.
 */
static int name_by_v1_memory(struct workload_cache *c, struct workload *w)
{
	char *line, *path, *save = NULL;
	long pid = first_member(c);

	if (!pid || read_proc_cgroup(c, pid))
		return -ENOENT;
	for (line = strtok_r(c->buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		path = strstr(line, ":memory:");
		if (path && !workload_parse(path + 8, strlen(path + 8), w) && w->id[0])
			return 0;
	}
	return -ENOENT;
}

/* The workload of cgid into w: 0, -ENOENT, -errno. */
static int resolve(struct workload_cache *c, uint64_t cgid, struct workload *w)
{
	int err = find_path(c, cgid);

	memset(w, 0, sizeof(*w));
	if (err)
		return err;
	err = workload_parse(c->path, strlen(c->path), w);
	if (err || w->id[0])
		return err;
	if (!name_by_v1_memory(c, &c->scratch)) {
		*w = c->scratch;
		c->st.v1_fallbacks++;
	}
	return 0;
}

static bool fresh(const struct slot *s, uint64_t now_s, uint32_t ttl_s)
{
	return !s->stale && now_s - s->when_s < ttl_s;
}

int workload_cache__lookup_pid(struct workload_cache *c, uint64_t cgid, uint32_t pid,
			       const struct workload **out)
{
	int err;

	if (!c) {
		*out = NULL;
		return -EINVAL;
	}
	c->hint_pid = pid;
	err = workload_cache__lookup(c, cgid, out);
	c->hint_pid = 0;
	return err;
}

int workload_cache__lookup(struct workload_cache *c, uint64_t cgid, const struct workload **out)
{
	uint64_t now_s = clock_ns(CLOCK_MONOTONIC_COARSE) / 1000000000ULL;
	struct workload w;
	struct slot *s;
	int err;

	*out = NULL;
	if (!c)
		return -EINVAL;
	s = find_slot(c, cgid);
	if (s && s->state == SLOT_NAMED && (s->w.gone || fresh(s, now_s, c->ttl_s))) {
		c->st.hits++;
		s->ref = 1;
		*out = &s->w;
		return 0;
	}
	if (s && s->state == SLOT_MISSING && fresh(s, now_s, WORKLOAD_CACHE_NEG_TTL_S)) {
		c->st.negative_hits++;
		return -ENOENT;
	}
	c->st.misses++;
	err = resolve(c, cgid, &w);
	if (err && err != -ENOENT)
		return err;
	if (s && s->state == SLOT_NAMED && err) {
		/* Removed since it was named: its last name still tells whose figures these were. */
		s->w.gone = true;
		c->st.gone++;
		*out = &s->w;
		return 0;
	}
	if (!s)
		s = insert_slot(c, cgid);
	s->state = err ? SLOT_MISSING : SLOT_NAMED;
	s->when_s = now_s;
	s->stale = 0;
	s->ref = 1;
	s->w = w;
	free(s->path);
	s->path = err ? NULL : strdup(c->path);
	s->w.path = s->path;
	*out = err ? NULL : &s->w;
	return err;
}
