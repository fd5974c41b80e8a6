/* Log level and reload: validated in full before anything of the running config changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/admin.h"
#include "core/log.h"
#include "serve/statsock.h"

/* Keys applied while running; any other changed key waits for a restart. */
static const char *const runtime_keys[] = { "agent.log_level", "agent.interval", NULL };

struct admin_diff {
	struct json_object *applied;
	struct json_object *restart;
};

static void admin_changed(void *ctx, const char *section, const char *key)
{
	struct admin_diff *d = ctx;
	char name[96];

	snprintf(name, sizeof(name), "%s.%s", section, key);
	for (const char *const *k = runtime_keys; *k; k++) {
		if (!strcmp(*k, name)) {
			json_object_array_add(d->applied, json_object_new_string(name));
			return;
		}
	}
	json_object_array_add(d->restart, json_object_new_string(name));
}

unsigned int admin_log_level(struct config *running, enum log_level level,
			     struct json_object **body)
{
	running->log_level = level;
	log_set_level(level);
	log_info("admin", "log level set to %s", log_level_name(level));
	*body = json_object_new_object();
	json_object_object_add(*body, "log_level",
			       json_object_new_string(log_level_name(level)));
	return 200;
}

unsigned int admin_reload(struct config *running, int argc, char **argv,
			  struct json_object **body)
{
	struct admin_diff d = { json_object_new_array(), json_object_new_array() };
	struct config *next = malloc(sizeof(*next));
	bool check_only, show_version;
	char err[512];

	if (!next)
		return *body = statsock_error("no_memory", "out of memory"), 500;
	config_defaults(next);
	if (config_parse_args(next, argc, argv, &check_only, &show_version, err, sizeof(err))) {
		log_warn("admin", HM_E_RELOAD_REJECTED, NULL, "reload rejected, running configuration kept: %s", err);
		free(next);
		json_object_put(d.applied);
		json_object_put(d.restart);
		*body = statsock_error("invalid_config", err);
		return 400;
	}
	config_diff(running, next, admin_changed, &d);
	running->log_level = next->log_level;
	running->interval_s = next->interval_s;
	log_set_level(running->log_level);
	log_info("admin", "configuration reloaded: %zu key(s) applied, %zu need a restart",
		 json_object_array_length(d.applied), json_object_array_length(d.restart));
	free(next);
	*body = json_object_new_object();
	json_object_object_add(*body, "applied", d.applied);
	json_object_object_add(*body, "restart_required", d.restart);
	return 200;
}
