/* A cgroup id's path on the cgroup2 mount (by a member's /proc entry, by file handle, by a walk) and the workload it names. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "probes/workload_resolver.h"

/* FILEID_KERNFS (include/linux/exportfs.h): a kernfs handle is the node's 64-bit id. */
#define HANDLE_KERNFS	0xfe

struct workload_resolver {
	int root_fd;
	uint64_t root_id;		/* the root cgroup's inode number */
	struct workload_resolver_stats st;
	struct workload scratch;
	char root[PATH_MAX];		/* the cgroup2 mount point, no trailing '/' */
	char proc[PATH_MAX];
	char path[WORKLOAD_PATH_MAX];	/* the cgroup path being resolved */
	char buf[2 * WORKLOAD_PATH_MAX + 1024];	/* a process's /proc/PID/cgroup */
};

/* --- The mount ------------------------------------------------------------------------- */

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

static int open_root(struct workload_resolver *r, const char *root)
{
	char mountinfo[PATH_MAX + 32];
	struct stat st;
	int err;

	snprintf(mountinfo, sizeof(mountinfo), "%s/self/mountinfo", r->proc);
	err = root ? 0 : find_cgroup2(mountinfo, r->root, sizeof(r->root));
	if (err)
		return err;
	if (root)
		snprintf(r->root, sizeof(r->root), "%s", root);
	/* "/" as the mount point: prefixes are compared without the trailing '/'. */
	if (!strcmp(r->root, "/"))
		r->root[0] = 0;
	r->root_fd = open(r->root[0] ? r->root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->root_fd < 0 || fstat(r->root_fd, &st))
		return -errno;
	r->root_id = st.st_ino;
	return 0;
}

/* --- Resolution: cgroup id -> path ------------------------------------------------------ */

/*
 * r->path by the id's file handle: 0; -ENOENT, the cgroup is gone; -EXDEV,
 * the descriptor's path is not under the mount (another mount namespace);
 * other -errno (EPERM without CAP_DAC_READ_SEARCH): handles are no use.
 */
static int path_by_handle(struct workload_resolver *r, uint64_t cgid)
{
	char buf[sizeof(struct file_handle) + sizeof(cgid)] __attribute__((aligned(8)));
	char link[64], target[PATH_MAX];
	struct file_handle *fh = (struct file_handle *)buf;
	size_t rlen = strlen(r->root);
	ssize_t n;
	int fd, err = 0;

	fh->handle_bytes = sizeof(cgid);
	fh->handle_type = HANDLE_KERNFS;
	memcpy(fh->f_handle, &cgid, sizeof(cgid));
	fd = open_by_handle_at(r->root_fd, fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ESTALE ? -ENOENT : -errno;
	r->st.handle_opens++;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	target[n] = 0;
	if (strncmp(target, r->root, rlen) || (target[rlen] && target[rlen] != '/') ||
	    strlen(target + rlen) >= sizeof(r->path))
		return -EXDEV;
	snprintf(r->path, sizeof(r->path), "%s", target[rlen] ? target + rlen : "/");
	return 0;
}

struct walk {
	uint64_t cgid;
	uint32_t dirs;
	uint32_t depth;
};

static int walk_dir(struct workload_resolver *r, struct walk *wk, int fd, size_t len);

/* One subdirectory: 1 when it is cgid (r->path completed), 0 to go on, -E2BIG to stop. */
static int walk_entry(struct workload_resolver *r, struct walk *wk, int parent, const struct dirent *de,
		      size_t len)
{
	size_t n = strlen(de->d_name);
	int fd, found;

	if (len + 1 + n >= sizeof(r->path))
		return 0;
	r->path[len] = '/';
	memcpy(r->path + len + 1, de->d_name, n + 1);
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
	found = walk_dir(r, wk, fd, len + 1 + n);
	wk->depth--;
	return found;
}

/* Looks below the directory fd (r->path's first len bytes name it; fd is consumed). */
static int walk_dir(struct workload_resolver *r, struct walk *wk, int fd, size_t len)
{
	struct dirent *de;
	int found = 0;
	DIR *d = fdopendir(fd);

	if (!d) {
		close(fd);
		return 0;
	}
	wk->dirs++;
	r->st.walk_dirs++;
	/* d_ino of a cgroup2 directory is its cgroup id: no stat needed. */
	while (!found && (de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			found = walk_entry(r, wk, dirfd(d), de, len);
	closedir(d);
	return found;
}

/* r->path by a walk of the tree: 0, -ENOENT when not found, -errno. */
static int path_by_walk(struct workload_resolver *r, uint64_t cgid)
{
	struct walk wk = { .cgid = cgid };
	int fd, found;

	r->st.walks++;
	fd = openat(r->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	found = walk_dir(r, &wk, fd, 0);
	if (found == -E2BIG)
		r->st.walk_truncated++;
	return found == 1 ? 0 : -ENOENT;
}

/* /proc/PID/cgroup into r->buf (NUL-terminated): 0, or -ENOENT (no such process). */
static int read_proc_cgroup(struct workload_resolver *r, long pid)
{
	char file[PATH_MAX + 32];
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "%s/%ld/cgroup", r->proc, pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	n = read(fd, r->buf, sizeof(r->buf) - 1);
	close(fd);
	r->buf[n > 0 ? n : 0] = 0;
	return 0;
}

/*
 * r->path from process pid's /proc/PID/cgroup "0::" line, if that
 * directory is cgid: 0, or -ENOENT (gone, moved, not in our namespace).
 */
static int path_by_pid(struct workload_resolver *r, uint64_t cgid, uint32_t pid)
{
	char *line, *save = NULL;
	struct stat st;

	if (read_proc_cgroup(r, pid))
		return -ENOENT;
	for (line = strtok_r(r->buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "0::/", 4) || strlen(line + 3) >= sizeof(r->path))
			continue;
		if (fstatat(r->root_fd, line[4] ? line + 4 : ".", &st, 0) || st.st_ino != cgid)
			return -ENOENT;
		snprintf(r->path, sizeof(r->path), "%s", line + 3);
		r->st.pid_paths++;
		return 0;
	}
	return -ENOENT;
}

/* r->path of cgid: the root, else by a member's (pid's) /proc entry, else by handle while handles work, else by a walk. */
static int find_path(struct workload_resolver *r, uint64_t cgid, uint32_t pid)
{
	int err;

	if (cgid == r->root_id) {
		snprintf(r->path, sizeof(r->path), "/");
		return 0;
	}
	if (pid && !path_by_pid(r, cgid, pid))
		return 0;
	if (r->st.handles) {
		err = path_by_handle(r, cgid);
		if (!err || err == -ENOENT)
			return err;
		/* EPERM once privileges are dropped, EOPNOTSUPP on file systems without handles. */
		if (err != -EXDEV)
			r->st.handles = false;
	}
	return path_by_walk(r, cgid);
}

/* --- Resolution: path -> workload ------------------------------------------------------- */

/* The first pid in the cgroup at r->path; 0 when it has none or cannot be read. */
static long first_member(struct workload_resolver *r)
{
	char file[WORKLOAD_PATH_MAX + 16], buf[32], *end;
	ssize_t n;
	long pid;
	int fd;

	snprintf(file, sizeof(file), "%s%scgroup.procs", r->path + 1, r->path[1] ? "/" : "");
	fd = openat(r->root_fd, file, O_RDONLY | O_CLOEXEC);
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
static int name_by_v1_memory(struct workload_resolver *r, struct workload *w)
{
	char *line, *path, *save = NULL;
	long pid = first_member(r);

	if (!pid || read_proc_cgroup(r, pid))
		return -ENOENT;
	for (line = strtok_r(r->buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		path = strstr(line, ":memory:");
		if (path && !workload_parse(path + 8, strlen(path + 8), w) && w->id[0])
			return 0;
	}
	return -ENOENT;
}

int workload_resolver__resolve(struct workload_resolver *r, uint64_t cgid, uint32_t pid, struct workload *w)
{
	int err = find_path(r, cgid, pid);

	memset(w, 0, sizeof(*w));
	if (err)
		return err;
	err = workload_parse(r->path, strlen(r->path), w);
	if (err || w->id[0])
		return err;
	if (!name_by_v1_memory(r, &r->scratch)) {
		*w = r->scratch;
		r->st.v1_fallbacks++;
	}
	return 0;
}

/* --- The object ------------------------------------------------------------------------ */

struct workload_resolver *workload_resolver__new(const char *root, const char *proc_root)
{
	struct workload_resolver *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return NULL;
	r->root_fd = -1;
	r->st.handles = true;
	snprintf(r->proc, sizeof(r->proc), "%s", proc_root ? proc_root : "/proc");
	err = open_root(r, root);
	if (!err)
		return r;
	workload_resolver__free(r);
	errno = -err;
	return NULL;
}

void workload_resolver__free(struct workload_resolver *r)
{
	if (!r)
		return;
	if (r->root_fd >= 0)
		close(r->root_fd);
	free(r);
}

const char *workload_resolver__path(const struct workload_resolver *r)
{
	return r->path;
}

void workload_resolver__set_handles(struct workload_resolver *r, bool on)
{
	r->st.handles = on;
}

void workload_resolver__stats(const struct workload_resolver *r, struct workload_resolver_stats *st)
{
	*st = r->st;
}
