/* The Kafka sink's families of the exposition, as the latest window saw them. */
#ifndef HOSTMON_EXPOSITION_KAFKA_H
#define HOSTMON_EXPOSITION_KAFKA_H

#include <json-c/json.h>
#include "serve/prom.h"

/* The latest window's kafka object (nothing when window is NULL or has none). */
void exposition_kafka_render(struct prom *p, struct json_object *window);

#endif /* HOSTMON_EXPOSITION_KAFKA_H */
