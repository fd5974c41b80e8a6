/* The daemon's startup steps, in the order daemon__new takes them: outputs, probe families, privileges, Kafka, the socket. */
#ifndef HOSTMON_DAEMON_STARTUP_H
#define HOSTMON_DAEMON_STARTUP_H

#include "core/compiler.h"

struct daemon;

/* Host identity, the JSON-lines sink, the pipeline, the event ring, the snapshot builder, the pid cache. 0 or -errno (logged). */
HM_MUST_CHECK
int startup_outputs(struct daemon *d);
/*
 * The kernel probed, the shared exe map, every enabled probe family (a
 * failed one is logged and the agent runs without it), the workload table.
 * -ENOTSUP (logged) when families are enabled and none could be loaded.
 */
HM_MUST_CHECK
int startup_families(struct daemon *d);
/* Every capability dropped but CAP_BPF where this kernel's bpf() checks it to read maps. 0 or -errno (logged). */
HM_MUST_CHECK
int startup_drop_privileges(struct daemon *d);
/* The Kafka sink and its spool when [kafka] brokers is set. 0 or -errno (logged). */
HM_MUST_CHECK
int startup_kafka(struct daemon *d);
/* The stats socket (its HTTP threads start here, after privileges are dropped), and its first snapshot. */
HM_MUST_CHECK
int startup_socket(struct daemon *d);

#endif /* HOSTMON_DAEMON_STARTUP_H */
