/* The error codes' identifiers and categories; their meanings and what to do live in docs/errors.md. */
#include <stddef.h>
#include "core/errcode.h"

static const struct {
	const char *id;
	const char *category;
} errcodes[HM_E_MAX] = {
	[HM_E_NONE]			= { "", NULL },
	[HM_E_CONFIG_INVALID]		= { "HM101", "config" },
	[HM_E_RELOAD_REJECTED]		= { "HM102", "config" },
	[HM_E_PROBE_FAILED]		= { "HM201", "kernel" },
	[HM_E_NO_PROBES]		= { "HM202", "kernel" },
	[HM_E_RING_READ]		= { "HM203", "kernel" },
	[HM_E_RING_WATCH]		= { "HM204", "kernel" },
	[HM_E_LIBBPF]			= { "HM205", "kernel" },
	[HM_E_PRIVS_DROP]		= { "HM206", "kernel" },
	[HM_E_EXE_MAP]			= { "HM207", "kernel" },
	[HM_W_WORKLOAD_NAMES]		= { "HM208", "kernel" },
	[HM_E_KAFKA_CLIENT]		= { "HM301", "sink" },
	[HM_E_KAFKA_RECORD_LOST]	= { "HM302", "sink" },
	[HM_E_KAFKA_RECORD_RETRY]	= { "HM303", "sink" },
	[HM_E_KAFKA_BROKER]		= { "HM304", "sink" },
	[HM_E_KAFKA_FATAL]		= { "HM305", "sink" },
	[HM_E_KAFKA_PRODUCER]		= { "HM306", "sink" },
	[HM_E_KAFKA_UNDELIVERED_AT_STOP] = { "HM307", "sink" },
	[HM_E_KAFKA_LOST_AT_STOP]	= { "HM308", "sink" },
	[HM_E_JSONL_OPEN]		= { "HM309", "sink" },
	[HM_E_JSONL_WRITE]		= { "HM310", "sink" },
	[HM_E_STATSOCK]			= { "HM311", "sink" },
	[HM_E_SPOOL_OPEN]		= { "HM401", "io" },
	[HM_E_SPOOL_CORRUPT]		= { "HM402", "io" },
	[HM_E_SPOOL_READ]		= { "HM403", "io" },
	[HM_E_SPOOL_WRITE]		= { "HM404", "io" },
	[HM_E_SPOOL_REMOVE]		= { "HM405", "io" },
	[HM_E_SPOOL_FULL]		= { "HM406", "io" },
	[HM_E_HOST_IDENTITY]		= { "HM501", "internal" },
	[HM_E_EVENT_LOOP]		= { "HM502", "internal" },
	[HM_E_LIFECYCLE]		= { "HM503", "internal" },
	[HM_E_INSTANCE_ID]		= { "HM504", "internal" },
	[HM_E_ADMIN_MAILBOX]		= { "HM505", "internal" },
	[HM_E_WORKLOADS]		= { "HM506", "internal" },
	[HM_E_BROWNOUT]			= { "HM601", "resource" },
	[HM_E_MEMORY_OVER]		= { "HM602", "resource" },
	[HM_E_MEMORY_STUCK]		= { "HM603", "resource" },
};

const char *errcode_id(enum errcode code)
{
	if ((unsigned int)code >= HM_E_MAX || !errcodes[code].id)
		return "HM000";
	return errcodes[code].id;
}

const char *errcode_category(enum errcode code)
{
	if ((unsigned int)code >= HM_E_MAX)
		return NULL;
	return errcodes[code].category;
}
