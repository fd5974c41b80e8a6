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
