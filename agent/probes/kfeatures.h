/* What the running kernel's BPF offers, probed once at start: each family picks its path from it. */
#ifndef HOSTMON_KFEATURES_H
#define HOSTMON_KFEATURES_H

#include <stdbool.h>
#include <stddef.h>

struct kernel_features {
	char release[65];	/* uname -r */
	bool btf;		/* /sys/kernel/btf/vmlinux: CO-RE and tp_btf programs (5.5) */
	bool ringbuf;		/* BPF_MAP_TYPE_RINGBUF (5.8) */
	bool task_storage;	/* BPF_MAP_TYPE_TASK_STORAGE (5.11) */
	bool task_btf;		/* bpf_get_current_task_btf() (5.11) */
};

/*
 * Probes the kernel. HOSTMON_FEATURES_OFF (a comma-separated list of
 * task_storage, task_btf) reports those as missing, so that the fallback
 * paths can be tested on a kernel that has everything.
 */
void features_probe(struct kernel_features *f);

/*
 * Whether HOSTMON_FEATURES_OFF names feature: also group_dead (the proc
 * family's exit path before 6.16) and retransmit_err (the net family's
 * tcp_retransmit_skb before its err argument), which the families probe
 * themselves.
 */
bool features_off(const char *feature);

/*
 * Why hostmond cannot run on this kernel at all ("" when it can): names
 * the missing feature and the kernel version that brings it.
 */
const char *features_missing(const struct kernel_features *f);

/* "ringbuf task_storage ..." for the start log; "" when nothing was found. */
void features_describe(const struct kernel_features *f, char *buf, size_t len);

#endif /* HOSTMON_KFEATURES_H */
