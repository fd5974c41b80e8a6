/* Admin requests of the stats socket, applied on the event loop: what may change while running. */
#ifndef HOSTMON_ADMIN_H
#define HOSTMON_ADMIN_H

#include <json-c/json.h>
#include "config/config.h"

/* Sets the running log level; returns the HTTP status, *body the JSON answer. */
unsigned int admin_log_level(struct config *running, enum log_level level,
			     struct json_object **body);

/*
 * Reads the configuration again as at start-up (the --config file, then the
 * flags of argv). When it is invalid: 400, the message in *body, running
 * untouched. Otherwise applies what can change at run time (log_level,
 * interval) to running and answers 200 with "applied" and
 * "restart_required" (every other key that changed, which keeps its running
 * value until a restart).
 */
unsigned int admin_reload(struct config *running, int argc, char **argv,
			  struct json_object **body);

#endif /* HOSTMON_ADMIN_H */
