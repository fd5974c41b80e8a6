/* Members of a json-c object read with a default: 0 or "" when missing (or null). */
#ifndef HOSTMON_JSONGET_H
#define HOSTMON_JSONGET_H

#include <stdint.h>
#include <json-c/json.h>

/* obj[key] as an unsigned integer; 0 when missing. */
static inline uint64_t jsonget_u64(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_uint64(v) : 0;
}

/* obj[key] as text; "" when missing or null. */
static inline const char *jsonget_str(struct json_object *obj, const char *key)
{
	struct json_object *v;
	const char *s = json_object_object_get_ex(obj, key, &v) ? json_object_get_string(v) : NULL;

	return s ? s : "";
}

#endif /* HOSTMON_JSONGET_H */
