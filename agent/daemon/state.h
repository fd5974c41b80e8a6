/* The daemon's state, shared by its modules: startup, the loop, windows, status and health, pressure. */
#ifndef HOSTMON_DAEMON_STATE_H
#define HOSTMON_DAEMON_STATE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "config/config.h"
#include "core/hostinfo.h"
#include "probes/bpfmem.h"
#include "probes/kfeatures.h"
#include "record/flow.h"
#include "sinks/spool.h"

struct daemon {
	struct config cfg;
	int argc;			/* the command line, read again by a reload */
	char **argv;
	struct hostinfo hi;
	struct kernel_features kf;
	bool kept_cap_bpf;		/* this kernel's bpf() wants it for map reads */
	struct jsonl_sink *jsonl;
	struct kafka_sink *kafka;	/* NULL without [kafka] brokers */
	struct spool *spool;		/* the Kafka sink's; NULL without it */
	struct pipeline *out;
	struct evring *events;		/* recent events, for the stats socket */
	struct snapshot_builder *snap;
	struct statsock *sock;
	struct family_set *fams;	/* the probe families (agent/probes/families.h) */
	struct lifecycle *life;
	struct governor *gov;		/* self-measurement and brownout */
	struct pidcache *procs;		/* process metadata for conn_error and slow_syscall */
	struct exemap *exe;		/* the kernel's exe paths, the families' and procs' */
	struct workload_cache *wl_names;	/* cgroup id -> workload name; NULL: ids only */
	struct workloads *workloads;	/* RED per workload; NULL: [workloads] off or no syscalls */
	bool rss_stuck;			/* over max_rss_mb with everything shed, reported */
	struct bpfmem bpf;		/* the kernel's figures for the maps, at the last window */
	uint64_t bpf_mapped;		/* resident bytes of the maps mapped into the agent */
	struct evloop *loop;
	int timerfd;
	int tickfd;			/* every second: the governor's sample */
	sigset_t wait_mask;		/* the mask with SIGINT and SIGTERM unblocked */
	uint64_t window_start_wall;
	uint64_t window_start_mono;
	uint64_t lost_prev;		/* records the sinks lost, at the last window */
	uint64_t kafka_lost_prev;
	uint64_t kafka_published;	/* delivered + lost at the last progress publish */
	const char *kafka_state_published;	/* kafka_sink__state's (static) text then */
	struct spool_stats spool_prev;
	struct flow_counts flow_prev;	/* events in and out at the last window */
};

#endif /* HOSTMON_DAEMON_STATE_H */
