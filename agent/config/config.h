/* hostmond configuration: defaults, INI file (libinih) and command-line flags, validated. */
#ifndef HOSTMON_CONFIG_H
#define HOSTMON_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "config/kafka_conf.h"
#include "core/log.h"
#include "core/compiler.h"

#define CONFIG_STR_MAX		256
#define CONFIG_LIST_MAX		1024

/* Defaults of [workloads] top and idle_windows. */
#define WORKLOADS_TOP_DEFAULT		10
#define WORKLOADS_IDLE_DEFAULT		3

struct config {
	/* [agent] */
	unsigned int interval_s;		/* interval, 1..3600, default 10 */
	unsigned int max_cpu_percent;		/* of one core, 1..100, default 2: brownout above */
	char output[CONFIG_STR_MAX];		/* output, "jsonl:-" or "jsonl:PATH" */
	char socket_path[CONFIG_STR_MAX];	/* socket, default /run/hostmon/hostmon.sock */
	char metrics_listen[CONFIG_STR_MAX];	/* metrics_listen: HOST:PORT for /metrics, default off */
	char spool_dir[CONFIG_STR_MAX];		/* spool_dir, default /var/lib/hostmon/spool */
	uint64_t spool_max_bytes;		/* spool_max_bytes, default 256 MiB */
	enum log_level log_level;		/* log_level: error|warn|info|debug */
	char host_id[CONFIG_STR_MAX];		/* host_id, default empty: /etc/machine-id */
	uint32_t ringbuf_bytes;			/* ringbuf_size: power of two, 4096..1073741824 */
	uint32_t pid_cache_size;		/* pid_cache_size: process metadata entries, 64..1048576 */
	uint32_t max_rss_mb;			/* max_rss_mb: resident memory bound, MiB: brownout above */
	unsigned int ring_flush_ms;		/* 0..1000, default 100: ring buffers read at least this often */
	bool trace_self;			/* trace_self, default false: the agent's own calls left out */
	/* [kafka] */
	char kafka_brokers[CONFIG_STR_MAX];	/* brokers, default empty (no Kafka) */
	char kafka_topic[CONFIG_STR_MAX];	/* topic, default hostmon.events */
	struct kafka_conf kafka;		/* any other key: a librdkafka property */
	/* [syscalls] */
	bool syscalls_enabled;			/* enabled, default true */
	char syscalls_include[CONFIG_LIST_MAX];	/* include: comma list of names, empty = all */
	char syscalls_exclude[CONFIG_LIST_MAX];	/* exclude: comma list of names */
	char syscalls_blocking[CONFIG_LIST_MAX];	/* blocking: never reported as slow */
	uint64_t slow_threshold_us;		/* slow_threshold_us, default 10000; 0 = every call */
	/* sample_above: calls of a syscall on a CPU in a window past which one in 8 is timed; 0: all */
	uint64_t sample_above;
	bool slow_events;			/* slow_events, default true */
	/* [proc] */
	bool proc_enabled;			/* enabled, default true */
	/* [net] */
	bool net_enabled;			/* enabled, default true */
	uint32_t net_events_per_sec;		/* events_per_sec: conn_error cap, 0 = none */
	uint32_t net_top_endpoints;		/* top_endpoints: listed per window, rest "other" */
	uint32_t net_endpoint_entries;		/* endpoint_entries: kernel map bound */
	uint32_t net_sock_entries;		/* sock_entries: sockets whose owner is kept */
	/* [workloads] */
	bool workloads_enabled;			/* enabled, default true: RED per cgroup */
	uint32_t workloads_top;			/* top: listed in full per window, rest "other" */
	uint32_t workloads_entries;		/* entries: kernel (cgroup, syscall) map bound */
	uint32_t workloads_idle_windows;	/* idle_windows: an idle entry's windows before it is deleted */
};

/* Fills every field with its default. */
void config_defaults(struct config *cfg);

/*
 * Reads an INI file over cfg. On error returns -EINVAL (or -errno if the file
 * cannot be read) and writes one message naming the file, line, section and
 * key into err (e.g. "hostmon.ini:7: [agent] interval: 'abc' is not an
 * integer in 1..3600"). Unknown sections and keys are errors.
 */
HM_MUST_CHECK
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);

/*
 * config_load_file's parser on an open stream, without its owner and mode
 * checks; name stands for the file in messages. The caller keeps and closes
 * f. Never exits: the fuzz target drives it.
 */
HM_MUST_CHECK
int config_load_stream(struct config *cfg, FILE *f, const char *name, char *err,
		       size_t errlen);

/*
 * Sets one key by section and name, as from the file or a flag; the same
 * validation as config_load_file. Returns 0, or -EINVAL/-ENOENT with err set.
 */
HM_MUST_CHECK
int config_set(struct config *cfg, const char *section, const char *key,
	       const char *value, char *err, size_t errlen);

/*
 * Parses argv (the flags of docs/configuration.md) over cfg as given (call config_defaults
 * first). --config is read first, then the flags override it wherever
 * --config stands; --set SECTION.KEY=VALUE sets any key of the file. Sets
 * *check_only for --check-config, *show_version for --version. Returns 0;
 * 1 for --help, after printing the usage to stdout (the caller exits 0);
 * -EINVAL with err naming the flag or key; or config_load_file's error for
 * the --config file (e.g. -ENOENT).
 */
HM_MUST_CHECK
int config_parse_args(struct config *cfg, int argc, char **argv, bool *check_only,
		      bool *show_version, char *err, size_t errlen);

/* Calls fn with the section and name of every key whose value differs in a and b
 * (librdkafka properties included). */
void config_diff(const struct config *a, const struct config *b,
		 void (*fn)(void *ctx, const char *section, const char *key), void *ctx);

#endif /* HOSTMON_CONFIG_H */
