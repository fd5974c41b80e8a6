/* The spool's segment files: naming, listing a directory's in id order, reading one whole. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sinks/spool_segfile.h"

char *spool_segfile_path(const char *dir, uint64_t id)
{
	char *path;

	if (asprintf(&path, "%s/%020" PRIu64 ".seg", dir, id) < 0)
		return NULL;
	return path;
}

uint8_t *spool_segfile_read(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	struct stat stt;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &stt) || !(buf = malloc(stt.st_size ? stt.st_size : 1)))
		goto fail;
	got = pread(fd, buf, stt.st_size, 0);
	if (got < 0)
		goto fail;
	*len = got;
	close(fd);
	return buf;
fail:
	err = errno;
	free(buf);
	close(fd);
	errno = err;
	return NULL;
}

int spool_segfile_id(const char *name, uint64_t *id)
{
	char *end;

	if (strlen(name) != SPOOL_SEGFILE_NAME_LEN || strcmp(name + 20, ".seg"))
		return -EINVAL;
	errno = 0;
	*id = strtoull(name, &end, 10);
	return errno || end != name + 20 ? -EINVAL : 0;
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The next id of a segment file in d into *id: 1, or 0 at the end. */
static int next_id(DIR *d, uint64_t *id)
{
	struct dirent *de;

	while ((de = readdir(d)))
		if (!spool_segfile_id(de->d_name, id))
			return 1;
	return 0;
}

int spool_segfile_list(const char *dir, uint64_t **ids, size_t *n)
{
	DIR *d = opendir(dir);
	size_t cap = 0;
	uint64_t id, *grown;

	*ids = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while (next_id(d, &id)) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(*ids, cap * sizeof(*grown));
			if (!grown) {
				closedir(d);
				free(*ids);
				*ids = NULL;
				*n = 0;
				return -ENOMEM;
			}
			*ids = grown;
		}
		(*ids)[(*n)++] = id;
	}
	closedir(d);
	/* An empty directory leaves *ids NULL, which qsort must not be given. */
	if (*n)
		qsort(*ids, *n, sizeof(**ids), cmp_id);
	return 0;
}

