/* Startup: what the daemon opens before its loop, and what it logs on the way. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "core/log.h"
#include "core/version.h"
#include "daemon/health.h"
#include "daemon/privs.h"
#include "daemon/startup.h"
#include "daemon/state.h"
#include "probes/exemap.h"
#include "probes/family_set.h"
#include "probes/pidcache.h"
#include "probes/workload_cache.h"
#include "probes/workloads.h"
#include "record/envelope.h"
#include "record/evring.h"
#include "serve/snapshot.h"
#include "serve/statsock.h"
#include "sinks/jsonl_sink.h"
#include "sinks/kafka_sink.h"
#include "sinks/pipeline.h"

int startup_outputs(struct daemon *d)
{
	char err[256];
	int ret;

	ret = hostinfo_read(&d->hi, d->cfg.host_id, err, sizeof(err));
	if (ret) {
		log_error("hostmond", HM_E_HOST_IDENTITY, NULL, "host identity: %s", err);
		return ret;
	}
	d->jsonl = jsonl_sink__new(d->cfg.output);
	if (!d->jsonl) {
		ret = -errno;
		log_error("jsonl", HM_E_JSONL_OPEN, LOG_FIELDS(LF_STR("path", d->cfg.output), LF_ERRNO(-ret)),
			  "cannot open output %s: %s", d->cfg.output, strerror(-ret));
		return ret;
	}
	d->out = pipeline__new(&d->hi);
	d->events = evring__new(EVRING_CAPACITY);
	d->snap = snapshot_builder__new();
	d->procs = pidcache__new(d->cfg.pid_cache_size, "/proc");
	if (!d->out || !d->events || !d->snap || !d->procs)
		return -ENOMEM;
	pipeline__set_jsonl(d->out, d->jsonl);
	pipeline__set_events(d->out, d->events);
	return 0;
}

/*
 * What this kernel offers, logged; false when no family can run on it, each
 * enabled one then failed with the reason.
 */
static bool probe_kernel(struct daemon *d)
{
	const char *missing;
	char desc[128];

	features_probe(&d->kf);
	features_describe(&d->kf, desc, sizeof(desc));
	log_info("hostmond", "kernel %s: %s", d->kf.release, desc);
	missing = features_missing(&d->kf);
	if (!missing[0])
		return true;
	family_set__fail(d->fams, &d->cfg, missing);
	log_error("hostmond", HM_E_PROBE_FAILED, LOG_FIELDS(LF_STR("kernel", d->kf.release)),
		  "no probe family can run on this kernel: %s", missing);
	return false;
}

/*
 * The exe map the families fill and the pid cache reads: /proc/PID/exe is
 * closed to the agent once its capabilities are gone. Without it, exe
 * comes from /proc alone.
 */
static void open_exe_map(struct daemon *d)
{
	int err;

	if (!family_set__names_processes(d->fams, &d->cfg))
		return;
	d->exe = exemap__new(d->cfg.pid_cache_size);
	if (!d->exe) {
		err = errno;
		log_error("hostmond", HM_E_EXE_MAP, LOG_FIELDS(LF_ERRNO(err)),
			  "cannot create the exe map (%u entries): exe from /proc only: %s",
			  d->cfg.pid_cache_size, strerror(err));
		return;
	}
	pidcache__set_exe_source(d->procs, exemap__lookup, d->exe);
}

/*
 * RED per workload, from the syscall family's per-cgroup maps (and net's and
 * proc's counts): without a cgroup2 mount to name them, workloads go by id.
 */
static void open_workloads(struct daemon *d)
{
	if (!d->cfg.workloads_enabled || !family_set__feeds_workloads(d->fams))
		return;
	d->wl_names = workload_cache__new(NULL, "/proc", 0);
	if (!d->wl_names)
		log_warn("workloads", HM_W_WORKLOAD_NAMES, LOG_FIELDS(LF_ERRNO(errno)),
			 "cannot name workloads (no cgroup2 mount?): %s; they go by cgroup id",
			 strerror(errno));
	d->workloads = workloads__new(d->cfg.workloads_top, d->cfg.workloads_idle_windows,
				      d->wl_names);
	if (!d->workloads) {
		log_error("workloads", HM_E_WORKLOADS, LOG_FIELDS(LF_ERRNO(errno)),
			  "cannot count per workload: %s", strerror(errno));
		return;
	}
	family_set__set_workloads(d->fams, d->workloads);
}

int startup_families(struct daemon *d)
{
	const struct family_ctx ctx = {
		.cfg = &d->cfg, .kf = &d->kf, .out = d->out, .procs = d->procs,
	};
	struct family_ctx with_exe = ctx;

	if (probe_kernel(d)) {
		open_exe_map(d);
		with_exe.exe = d->exe;
		family_set__open(d->fams, &with_exe);
		open_workloads(d);
	}
	if (family_set__any_enabled(d->fams, &d->cfg) && !family_set__any_runs(d->fams)) {
		log_error("hostmond", HM_E_NO_PROBES, NULL,
			  "no probe family could be loaded; is this root on a kernel with BTF?");
		return -ENOTSUP;
	}
	return 0;
}

/* A map of a family that runs, to ask the kernel what reading maps takes; -1: none. */
static int some_map_fd(const struct daemon *d)
{
	int fd = -1;

	for (size_t i = 0; fd < 0 && i < family_set__count(d->fams); i++)
		fd = family_set__events_fd(d->fams, i);
	return fd;
}

/*
 * What the agent needs after attach is open already: ring buffers and maps
 * (their descriptors), the output, the spool directory (root's own, by owner
 * permissions). Every capability goes (docs/install.md, "Privileges"), but CAP_BPF on
 * a kernel that checks it for every bpf() command: without it no window
 * could read the maps there.
 */
int startup_drop_privileges(struct daemon *d)
{
	int fd = some_map_fd(d), need = fd < 0 ? 0 : privs_bpf_needs_cap(fd);
	char err[256];
	bool bounds;
	int ret;

	if (need < 0)
		log_warn("hostmond", HM_E_PRIVS_DROP, LOG_FIELDS(LF_ERRNO(-need)),
			 "cannot tell whether reading BPF maps needs CAP_BPF here, keeping it: %s",
			 strerror(-need));
	d->kept_cap_bpf = need != 0;
	ret = privs_drop(d->kept_cap_bpf, &bounds, err, sizeof(err));
	if (ret) {
		log_error("hostmond", HM_E_PRIVS_DROP, NULL, "cannot drop privileges, not running with more than needed: %s",
			  err);
		return ret;
	}
	log_info("hostmond", "privileges dropped: %s, no_new_privs set%s",
		 d->kept_cap_bpf ? "all but CAP_BPF (this kernel's bpf() checks it to read maps)" :
				   "no capabilities left",
		 bounds ? "" : " (bounding set left as the service manager set it: no CAP_SETPCAP)");
	return 0;
}

/* Segments of 1/16 of the spool, at most 16 MiB: eviction frees little at a time. */
static uint64_t spool_segment_bytes(const struct config *cfg)
{
	uint64_t seg = cfg->spool_max_bytes / 16;

	return seg > (16u << 20) ? (16u << 20) : seg;
}

/* The spool in spool_dir; a disk that fails must not stop the agent: Kafka without the safety net. */
static void open_spool(struct daemon *d)
{
	d->spool = spool__open(d->cfg.spool_dir, d->cfg.spool_max_bytes, spool_segment_bytes(&d->cfg));
	if (!d->spool)
		log_error("kafka", HM_E_SPOOL_OPEN,
			  LOG_FIELDS(LF_STR("path", d->cfg.spool_dir), LF_ERRNO(errno)),
			  "cannot open the spool in %s: %s: records not delivered will be "
			  "lost (counted)", d->cfg.spool_dir, strerror(errno));
}

/*
 * Records spooled by an earlier run are sent first; the envelopes carry a
 * fresh instance id. Corrupt records found at open are counted in the first window.
 */
int startup_kafka(struct daemon *d)
{
	struct envelope_ids ids = { .agent_version = HOSTMON_VERSION };
	char instance[37], err[512];
	int ret;

	if (!d->cfg.kafka_brokers[0])
		return 0;
	ret = envelope_instance_id(instance);
	if (ret) {
		log_error("kafka", HM_E_INSTANCE_ID, LOG_FIELDS(LF_ERRNO(-ret)),
			  "cannot make an instance id: %s", strerror(-ret));
		return ret;
	}
	ids.instance_id = instance;
	open_spool(d);
	d->kafka = kafka_sink__new(d->cfg.kafka_brokers, d->cfg.kafka_topic, d->hi.host_id, &ids,
				   d->spool, &d->cfg.kafka, err, sizeof(err));
	if (!d->kafka) {
		ret = -errno;
		log_error("kafka", HM_E_KAFKA_PRODUCER, LOG_FIELDS(LF_STR("brokers", d->cfg.kafka_brokers)),
			  "producer for %s: %s", d->cfg.kafka_brokers, err);
		return ret;
	}
	pipeline__set_kafka(d->out, d->kafka);
	log_info("kafka", "sending to topic %s on %s as instance %s", d->cfg.kafka_topic,
		 d->cfg.kafka_brokers, instance);
	return 0;
}

int startup_socket(struct daemon *d)
{
	char err[256];
	int ret;

	d->sock = statsock__new(d->cfg.socket_path, d->cfg.metrics_listen, d->events, err,
				sizeof(err));
	if (!d->sock) {
		ret = -errno;
		log_error("statsock", HM_E_STATSOCK, LOG_FIELDS(LF_STR("path", d->cfg.socket_path)), "%s", err);
		return ret;
	}
	health_publish(d);
	return 0;
}
