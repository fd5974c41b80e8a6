/* A hash map from strings (host ids, executables) to the rules' per-key state. */
#ifndef HOSTMON_ALERT_STRMAP_H
#define HOSTMON_ALERT_STRMAP_H

#include <stddef.h>

struct strmap;

/* value_size bytes of zeroed state per key, freed with the map (or strmap__del). */
struct strmap *strmap__new(size_t value_size);
void strmap__free(struct strmap *m);
/* The key's state, NULL when absent. */
void *strmap__get(const struct strmap *m, const char *key);
/* The key's state, added zeroed when absent (*added 1); NULL, errno ENOMEM. */
void *strmap__get_or_add(struct strmap *m, const char *key, int *added);
void strmap__del(struct strmap *m, const char *key);
size_t strmap__count(const struct strmap *m);
/*
 * Calls fn for each key; fn returns 1 to delete that entry (after fn), 0 to
 * keep it. The state fn gets stays valid until it returns.
 */
void strmap__each(struct strmap *m, int (*fn)(void *ctx, const char *key, void *value), void *ctx);

#endif /* HOSTMON_ALERT_STRMAP_H */
