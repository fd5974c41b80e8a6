/* hostmonctl's tables, shared by `stats` and `top`: 80 columns at most. */
#ifndef HOSTMONCTL_TABLE_H
#define HOSTMONCTL_TABLE_H

#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

/* "850ns", "12.3us", "4.56ms", "1.20s" */
void ctl_table_ns(char *out, size_t len, uint64_t ns);

/* One line: agent state, window length and age, drops since start. */
void ctl_table_status(FILE *f, struct json_object *health, struct json_object *window);
/* Syscalls of the window by rate, at most max_rows: rate, errors, p50/p95/p99. */
void ctl_table_syscalls(FILE *f, struct json_object *window, int max_rows);
/*
 * The window's workloads as the agent ranked them (crashes, OOM kills and
 * connection failures first, then calls), at most max_rows: rate, errors,
 * crashes, OOM kills, connection errors, their busiest syscall and its p95.
 */
void ctl_table_workloads(FILE *f, struct json_object *window, int max_rows);
/* Remote endpoints with connection errors in the window (when the record has them). */
void ctl_table_endpoints(FILE *f, struct json_object *window, int max_rows);
/* The newest max_rows of events (process_crash, oom_kill), newest first. */
void ctl_table_crashes(FILE *f, struct json_object *events, int max_rows);

#endif /* HOSTMONCTL_TABLE_H */
