/* Prometheus counter families whose label values are the keys of a JSON object. */
#ifndef HOSTMON_PROM_JSON_H
#define HOSTMON_PROM_JSON_H

#include <json-c/json.h>
#include "serve/prom.h"

/*
 * One counter family, one sample per integer member of totals[part][sub]
 * (sub may be NULL: totals[part]), labelled label="member's key".
 */
void prom_json_keyed(struct prom *p, struct json_object *totals, const char *part,
		     const char *sub, const char *metric, const char *label, const char *help);

/* One counter family labelled by the two levels of keys of totals[part]. */
void prom_json_nested(struct prom *p, struct json_object *totals, const char *part,
		      const char *metric, const char *label1, const char *label2,
		      const char *help);

#endif /* HOSTMON_PROM_JSON_H */
