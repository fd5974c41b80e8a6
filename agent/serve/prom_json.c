/* Prometheus counter families whose label values are the keys of a JSON object. */
#include <stddef.h>
#include "serve/prom_json.h"

void prom_json_keyed(struct prom *p, struct json_object *totals, const char *part,
		     const char *sub, const char *metric, const char *label, const char *help)
{
	struct json_object *o = NULL;

	prom_family(p, metric, "counter", help);
	if (!json_object_object_get_ex(totals, part, &o) ||
	    (sub && !json_object_object_get_ex(o, sub, &o)))
		return;
	json_object_object_foreach(o, key, val)
		if (json_object_is_type(val, json_type_int))
			prom_u64(p, metric, json_object_get_uint64(val), label, key, NULL);
}

void prom_json_nested(struct prom *p, struct json_object *totals, const char *part,
		      const char *metric, const char *label1, const char *label2,
		      const char *help)
{
	struct json_object *o;

	prom_family(p, metric, "counter", help);
	if (!json_object_object_get_ex(totals, part, &o))
		return;
	json_object_object_foreach(o, key1, inner) {
		json_object_object_foreach(inner, key2, n)
			prom_u64(p, metric, json_object_get_uint64(n), label1, key1, label2, key2,
				 NULL);
	}
}
