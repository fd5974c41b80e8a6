/* The spool's segment files: their names, the ids a directory holds in order, a whole file read into memory. No logging: callers report. */
#ifndef HOSTMON_SPOOL_SEGFILE_H
#define HOSTMON_SPOOL_SEGFILE_H

#include <stddef.h>
#include <stdint.h>

/* A segment's file name: 20 decimal digits of its id (ids increase), then ".seg". */
#define SPOOL_SEGFILE_NAME_LEN 24

/* dir/NNNNNNNNNNNNNNNNNNNN.seg, malloc'd; NULL with errno set. */
char *spool_segfile_path(const char *dir, uint64_t id);
/* The id a segment file's name (no directory) carries: 0, or -EINVAL for another name. */
int spool_segfile_id(const char *name, uint64_t *id);
/* The ids of the segments in dir, ascending, *n of them in a malloc'd array (NULL when none); 0 or -errno. */
int spool_segfile_list(const char *dir, uint64_t **ids, size_t *n);
/* A whole segment file in memory (segments are small); NULL with errno set. */
uint8_t *spool_segfile_read(const char *path, size_t *len);

#endif /* HOSTMON_SPOOL_SEGFILE_H */
