/* hostmon-consume --spool: walks segment files with the agent's format module, each record and each corrupt place to the caller. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sinks/spool_segfile.h"
#include "spoolwalk.h"

struct file_walk {
	const char *file;
	const struct spoolwalk_ops *ops;
	void *ctx;
};

static void on_record(void *ctx, const struct spool_record *rec, size_t offset)
{
	const struct file_walk *w = ctx;

	w->ops->record(w->ctx, w->file, offset, rec);
}

static void on_error(void *ctx, size_t offset, const char *why)
{
	const struct file_walk *w = ctx;

	w->ops->corrupt(w->ctx, w->file, offset, why);
}

/* One segment file; listed: found in a directory, so that it may have gone since. */
static int walk_file(const char *file, bool listed, const struct spoolwalk_ops *ops, void *ctx)
{
	struct file_walk w = { .file = file, .ops = ops, .ctx = ctx };
	uint8_t *data;
	size_t len;
	int err;

	data = spool_segfile_read(file, &len);
	if (!data && listed && errno == ENOENT) {
		fprintf(stderr, "hostmon-consume: %s: gone since the directory was listed (delivered "
			"and deleted by the agent): skipped\n", file);
		return 0;
	}
	if (!data) {
		err = -errno;
		fprintf(stderr, "hostmon-consume: reading %s failed: %s\n", file, strerror(-err));
		return err;
	}
	spool_format_parse(data, len, on_record, on_error, &w);
	free(data);
	return 0;
}

static int walk_dir(const char *dir, const struct spoolwalk_ops *ops, void *ctx)
{
	uint64_t *ids;
	size_t n, i;
	char *path;
	int err;

	err = spool_segfile_list(dir, &ids, &n);
	if (err) {
		fprintf(stderr, "hostmon-consume: listing %s failed: %s\n", dir, strerror(-err));
		return err;
	}
	if (!n)
		fprintf(stderr, "hostmon-consume: %s: no spool segments (NNNNNNNNNNNNNNNNNNNN.seg) in it\n", dir);
	for (i = 0; i < n && !err; i++) {
		path = spool_segfile_path(dir, ids[i]);
		if (!path) {
			fprintf(stderr, "hostmon-consume: out of memory\n");
			err = -ENOMEM;
			break;
		}
		err = walk_file(path, true, ops, ctx);
		free(path);
	}
	free(ids);
	return err;
}

int spoolwalk(const char *path, const struct spoolwalk_ops *ops, void *ctx)
{
	struct stat st;
	int err;

	if (stat(path, &st)) {
		err = -errno;
		fprintf(stderr, "hostmon-consume: --spool %s: %s\n", path, strerror(-err));
		return err;
	}
	return S_ISDIR(st.st_mode) ? walk_dir(path, ops, ctx) : walk_file(path, false, ops, ctx);
}
