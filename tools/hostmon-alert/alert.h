/* One alert as hostmon-alert sends it to Alertmanager: labels, annotations (the evidence), start and end. */
#ifndef HOSTMON_ALERT_ALERT_H
#define HOSTMON_ALERT_ALERT_H

#include <stddef.h>
#include <stdint.h>

#define ALERT_LABELS_MAX	6
#define ALERT_ANNOTATIONS_MAX	12
#define ALERT_KEY_LEN		32
#define ALERT_VALUE_LEN		256

struct alert_pair {
	char key[ALERT_KEY_LEN];
	char value[ALERT_VALUE_LEN];
};

/*
 * starts_ns comes from the records (never from the clock of the instance
 * that sends it), so whichever instance sends an alert sends the same one.
 * ends_ns 0: open (firing until a later post ends it).
 */
struct alert {
	struct alert_pair labels[ALERT_LABELS_MAX];
	struct alert_pair annotations[ALERT_ANNOTATIONS_MAX];
	int nlabels;
	int nannotations;
	uint64_t starts_ns;
	uint64_t ends_ns;
};

/* A new alert named name (label alertname) with label source="hostmon-alert". */
void alert_init(struct alert *a, const char *name, uint64_t starts_ns, uint64_t ends_ns);
/* Adds a label or annotation; values longer than ALERT_VALUE_LEN - 1 are cut. */
void alert_label(struct alert *a, const char *key, const char *value);
void alert_note(struct alert *a, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A wall-clock time in ns as RFC 3339 UTC with milliseconds. */
void alert_time(char *out, size_t len, uint64_t ns);
/* The value of label or annotation key, NULL when absent. */
const char *alert_get(const struct alert *a, const char *key);
/* The alert as Alertmanager's v2 JSON object (postableAlert); NULL, errno set, on failure. */
char *alert_to_json(const struct alert *a, const char *generator_url);

#endif /* HOSTMON_ALERT_ALERT_H */
