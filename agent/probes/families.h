/* The probe families the agent runs: the one list the daemon loops over. */
#ifndef HOSTMON_FAMILIES_H
#define HOSTMON_FAMILIES_H

#include "probes/family.h"

/*
 * NULL-terminated, in the order the families are reported (/health,
 * agent_status, the metrics record's drops) and read; a family's ops->needs
 * is opened before it whatever its place.
 */
extern const struct family_ops *const families[];

#endif /* HOSTMON_FAMILIES_H */
