/* What every probe family reports about itself: loaded, attached or failed, and why. */
#ifndef HOSTMON_FAMILY_H
#define HOSTMON_FAMILY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

enum family_state {
	FAMILY_DISABLED,
	FAMILY_ATTACHED,
	FAMILY_FAILED,
};

struct family_status {
	enum family_state state;
	char error[256];	/* why it failed, with the kernel's errno */
	char path[160];		/* which of its paths this kernel got, and why; "" if it has one */
};

const char *family_state_name(enum family_state state);

struct bpf_object;
struct config;
struct exemap;
struct kernel_features;
struct pidcache;
struct pipeline;
struct record;
struct workloads;

/* What a family's open may use; none of it owned by the family. */
struct family_ctx {
	const struct config *cfg;
	const struct kernel_features *kf;	/* the paths this kernel allows */
	struct pipeline *out;			/* where its events go */
	const struct exemap *exe;		/* the shared exe map; NULL: none */
	struct pidcache *procs;			/* exe, cgroup, container id of its events' processes */
	/* The family ops->needs names, opened (NULL: off or failed); set for each open. */
	void *need;
};

/*
 * A probe family: bpf/<name>.bpf.c and the agent file that fills this table.
 * The daemon loops over the list in agent/probes/families.c and calls these,
 * never a family by name. fam is what open returned.
 */
struct family_ops {
	/* In /health, agent_status, the metrics record's drops and the log's component. */
	const char *name;
	bool (*enabled)(const struct config *cfg);
	/*
	 * Opens, loads and attaches its probe; NULL with status->state
	 * FAMILY_FAILED and status->error saying why (the agent runs on without
	 * it); status->path says which path this kernel got.
	 */
	void *(*open)(const struct family_ctx *ctx, struct family_status *status);
	void (*free)(void *fam);
	/* Its ring buffer's fd to wait on (readable when events wait), and the ring buffer map's. */
	int (*epoll_fd)(const void *fam);
	int (*events_fd)(const void *fam);
	/* Reads at most FAMILY_RING_BATCH events into the pipeline: the events read, or -errno. */
	int (*poll)(void *fam);
	/* Closes the window: its part of the metrics record and its drops. 0 or -errno. */
	int (*window)(void *fam, struct record *rec);
	/* Brownout: on, its detail events are counted as shed instead of sent. */
	void (*shed)(void *fam, bool on);
	/*
	 * The brownout level (1 = shed first) from which its detail events are
	 * shed; 0: never (crashes and OOM kills).
	 */
	unsigned int shed_priority;
	/* The loaded BPF object, for its maps' figures (agent/probes/bpfmem.h). */
	const struct bpf_object *(*object)(const void *fam);
	/* Hands it the per-workload table it feeds (maps or events; not owned). */
	void (*set_workloads)(void *fam, struct workloads *wl);
	/* Its maps are the workload table's rows: without it running, no workloads. */
	bool workload_rows;
	/* Its events name processes through the pid cache, which wants the shared exe map. */
	bool names_processes;
	/*
	 * Optional (NULL: none): a family whose maps this one's object takes
	 * over. It is opened (and measured) before this one, handed to this
	 * one's open in ctx->need, and its settle is called once this one has
	 * opened or been left out.
	 */
	const struct family_ops *needs;
	/*
	 * Optional: settles what depended on the family that needs this one
	 * (peer: its instance, NULL when it does not run; peer_status: why).
	 * 0, or -errno with status failed: the family is then freed.
	 */
	int (*settle)(void *fam, const void *peer, const struct family_status *peer_status,
		      struct family_status *status);
};

/*
 * The number of arguments a tp_btf program on tracepoint gets on this kernel
 * (its btf_trace_ typedef), -1 when the kernel's BTF does not say: for
 * tracepoints whose arguments changed between kernels.
 */
int family_tp_args(const char *tracepoint);

/*
 * Makes sure tracefs is mounted (tracepoint programs attach through it),
 * mounting it at /sys/kernel/tracing if needed. Returns 0 or -errno with err set.
 */
HM_MUST_CHECK
int family_need_tracefs(char *err, size_t errlen);

struct bpf_object_skeleton;
struct bpf_map;

/* Events read in one family_ring__consume: the loop serves its timers between batches. */
#define FAMILY_RING_BATCH	8192

/* A family's events ring buffer reader that stops after a batch. */
struct family_ring;
struct pidcache;
struct pidcache_key;

/*
 * The exe, cgroup and container id of key's process (agent/probes/pidcache.c), ""
 * where unknown (JSON null): the cache's text, valid until its next call, so
 * the record must be sent before the next lookup.
 */
void family_proc_meta(struct pidcache *c, const struct pidcache_key *key, char **exe,
		      char **cgroup, char **container_id);

/*
 * Sizes the events ring buffer of an opened skeleton, loads and attaches it,
 * and sets up the ring buffer reader. Returns 0, or -errno with err saying which step failed.
 */
HM_MUST_CHECK
int family_start(struct bpf_object_skeleton *skel, struct bpf_map *events, uint32_t ring_bytes,
		 int (*on_event)(void *ctx, void *data, size_t len), void *ctx,
		 struct family_ring **ring, char *err, size_t errlen);
/*
 * The pending bytes at which a detail event wakes the reader (BPF
 * wakeup_bytes): a sixteenth of the ring, far below the brownout's half, when
 * the loop drains every flush_ms; 0 (every event wakes it) when flush_ms is 0.
 */
uint64_t family_wakeup_bytes(uint32_t ring_bytes, unsigned int flush_ms);
/*
 * The tgid whose calls and sockets the families leave out (BPF self_tgid):
 * the agent's own, or 0 to trace it too. Also 0 outside the host's pid
 * namespace, where getpid() is not the kernel's tgid and could name another
 * process.
 */
uint32_t family_self_tgid(bool trace_self);
void family_ring__free(struct family_ring *ring);
int family_ring__epoll_fd(const struct family_ring *ring);
/*
 * Hands at most FAMILY_RING_BATCH waiting events to on_event, so that a
 * storm faster than the agent cannot keep the event loop from its timers
 * (windows, the brownout's samples). The events read, or -errno.
 */
HM_MUST_CHECK
int family_ring__consume(struct family_ring *ring);

#endif /* HOSTMON_FAMILY_H */
