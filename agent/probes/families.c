/*
 * The probe families, one line each. A new family is a bpf/<name>.bpf.c, an
 * agent/probes/<name>_family.c that fills a struct family_ops, a line here
 * and its tests.
 */
#include <stddef.h>
#include "probes/families.h"
#include "probes/net_family.h"
#include "probes/proc_family.h"
#include "probes/syscall_family.h"

const struct family_ops *const families[] = {
	&syscall_family,
	&proc_family,
	&net_family,
	NULL,
};
