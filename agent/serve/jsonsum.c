/* Running sums of JSON trees: what the exposition keeps since start from each window. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "serve/jsonsum.h"

static bool listed(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (!strcmp(*list, key))
			return true;
	return false;
}

static void add_array(struct json_object *dst, struct json_object *src)
{
	size_t n = json_object_array_length(src);

	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(dst, i);
		uint64_t v = json_object_get_uint64(json_object_array_get_idx(src, i));

		if (d)
			json_object_set_uint64(d, json_object_get_uint64(d) + v);
		else
			json_object_array_add(dst, json_object_new_uint64(v));
	}
}

void jsonsum_add(struct json_object *dst, struct json_object *src, const char *const *skip)
{
	struct json_object *d;
	enum json_type t;

	json_object_object_foreach(src, key, val) {
		t = json_object_get_type(val);
		if (listed(skip, key) || (t != json_type_int && t != json_type_object &&
					  t != json_type_array))
			continue;
		if (!json_object_object_get_ex(dst, key, &d)) {
			d = t == json_type_int ? json_object_new_uint64(0) :
			    t == json_type_array ? json_object_new_array() : json_object_new_object();
			json_object_object_add(dst, key, d);
		}
		if (t == json_type_int)
			json_object_set_uint64(d, json_object_get_uint64(d) + json_object_get_uint64(val));
		else if (t == json_type_array)
			add_array(d, val);
		else
			jsonsum_add(d, val, skip);
	}
}

struct json_object *jsonsum_child(struct json_object *obj, const char *key)
{
	struct json_object *c;

	if (!json_object_object_get_ex(obj, key, &c)) {
		c = json_object_new_object();
		json_object_object_add(obj, key, c);
	}
	return c;
}

void jsonsum_add_parts(struct json_object *totals, struct json_object *part,
		       const char *const *keys, const char *const *skip)
{
	struct json_object *v;

	for (; *keys; keys++) {
		struct json_object *wrap = json_object_new_object();

		if (json_object_object_get_ex(part, *keys, &v)) {
			json_object_object_add(wrap, *keys, json_object_get(v));
			jsonsum_add(totals, wrap, skip);
		}
		json_object_put(wrap);
	}
}

struct json_object *jsonsum_add_recent(struct json_object *map, const char *key,
				       struct json_object *delta, const char *const *skip,
				       size_t max)
{
	struct json_object *cur = NULL, *next;

	if (json_object_object_get_ex(map, key, &cur))
		cur = json_object_get(cur);
	json_object_object_del(map, key);
	if (json_object_is_type(delta, json_type_int)) {
		next = json_object_new_uint64((cur ? json_object_get_uint64(cur) : 0) +
					      json_object_get_uint64(delta));
		json_object_put(cur);
	} else {
		next = cur ? cur : json_object_new_object();
		jsonsum_add(next, delta, skip);
	}
	json_object_object_add(map, key, next);
	while ((size_t)json_object_object_length(map) > max) {
		json_object_object_foreach(map, oldest, v) {
			(void)v;
			json_object_object_del(map, oldest);
			break;
		}
	}
	return next;
}
