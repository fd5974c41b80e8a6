/* Running sums of JSON trees: integers added key by key, objects recursed, arrays element-wise. */
#ifndef HOSTMON_JSONSUM_H
#define HOSTMON_JSONSUM_H

#include <stddef.h>
#include <json-c/json.h>

/* Returns obj[key], created as an empty object if missing. */
struct json_object *jsonsum_child(struct json_object *obj, const char *key);

/* dst += src for every integer, object and integer array of src not in skip (NULL-ended). */
void jsonsum_add(struct json_object *dst, struct json_object *src, const char *const *skip);

/* totals[key] += part[key] for each of keys (NULL-ended) that part has, but the keys in skip. */
void jsonsum_add_parts(struct json_object *totals, struct json_object *part,
		       const char *const *keys, const char *const *skip);

/*
 * map[key] += delta (an integer, or an object summed by jsonsum_add but for
 * skip), key moved to the end (json-c keeps insertion order), then the oldest
 * keys dropped while map holds more than max. Returns map[key].
 */
struct json_object *jsonsum_add_recent(struct json_object *map, const char *key,
				       struct json_object *delta, const char *const *skip,
				       size_t max);

#endif /* HOSTMON_JSONSUM_H */
