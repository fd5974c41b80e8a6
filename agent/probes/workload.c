/* Workload names from cgroup paths: a pure parser (runtime, container id, pod UID, QoS class, unit) and the display name. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
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
