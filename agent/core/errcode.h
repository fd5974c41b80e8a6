/* The stable error codes of hostmond's log records: one per failure an operator acts on (docs/errors.md). */
#ifndef HOSTMON_ERRCODE_H
#define HOSTMON_ERRCODE_H

/*
 * Codes are forever: a code is never renumbered or reused for another
 * meaning; a retired one stays in docs/errors.md marked so. The first digit is
 * the category (1 config, 2 kernel, 3 sink, 4 io, 5 internal, 6 resource).
 */
enum errcode {
	HM_E_NONE = 0,
	HM_E_CONFIG_INVALID,		/* HM101 */
	HM_E_RELOAD_REJECTED,		/* HM102 */
	HM_E_PROBE_FAILED,		/* HM201 */
	HM_E_NO_PROBES,			/* HM202 */
	HM_E_RING_READ,			/* HM203 */
	HM_E_RING_WATCH,		/* HM204 */
	HM_E_LIBBPF,			/* HM205 */
	HM_E_PRIVS_DROP,		/* HM206 */
	HM_E_EXE_MAP,			/* HM207 */
	HM_W_WORKLOAD_NAMES,		/* HM208 */
	HM_E_KAFKA_CLIENT,		/* HM301 */
	HM_E_KAFKA_RECORD_LOST,		/* HM302 */
	HM_E_KAFKA_RECORD_RETRY,	/* HM303 */
	HM_E_KAFKA_BROKER,		/* HM304 */
	HM_E_KAFKA_FATAL,		/* HM305 */
	HM_E_KAFKA_PRODUCER,		/* HM306 */
	HM_E_KAFKA_UNDELIVERED_AT_STOP,	/* HM307 */
	HM_E_KAFKA_LOST_AT_STOP,	/* HM308 */
	HM_E_JSONL_OPEN,		/* HM309 */
	HM_E_JSONL_WRITE,		/* HM310 */
	HM_E_STATSOCK,			/* HM311 */
	HM_E_SPOOL_OPEN,		/* HM401 */
	HM_E_SPOOL_CORRUPT,		/* HM402 */
	HM_E_SPOOL_READ,		/* HM403 */
	HM_E_SPOOL_WRITE,		/* HM404 */
	HM_E_SPOOL_REMOVE,		/* HM405 */
	HM_E_SPOOL_FULL,		/* HM406 */
	HM_E_HOST_IDENTITY,		/* HM501 */
	HM_E_EVENT_LOOP,		/* HM502 */
	HM_E_LIFECYCLE,			/* HM503 */
	HM_E_INSTANCE_ID,		/* HM504 */
	HM_E_ADMIN_MAILBOX,		/* HM505 */
	HM_E_WORKLOADS,			/* HM506 */
	HM_E_BROWNOUT,			/* HM601 */
	HM_E_MEMORY_OVER,		/* HM602 */
	HM_E_MEMORY_STUCK,		/* HM603 */
	HM_E_MAX,
};

/* "HM302"; "" for HM_E_NONE, "HM000" out of range. */
const char *errcode_id(enum errcode code);
/* "config", "kernel", "sink", "io", "internal", "resource"; NULL out of range. */
const char *errcode_category(enum errcode code);

#endif /* HOSTMON_ERRCODE_H */
