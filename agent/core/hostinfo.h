/* Identity of this host and boot, carried by every record. */
#ifndef HOSTMON_HOSTINFO_H
#define HOSTMON_HOSTINFO_H
#include "core/compiler.h"

#define HOSTINFO_ID_MAX 256

struct hostinfo {
	char host_id[HOSTINFO_ID_MAX];
	char boot_id[HOSTINFO_ID_MAX];
};

/*
 * host_id is configured or, when empty, /etc/machine-id; boot_id is the
 * kernel's. Returns 0 or -errno with err naming the file that failed.
 */
HM_MUST_CHECK
int hostinfo_read(struct hostinfo *hi, const char *configured_host_id, char *err, size_t errlen);

#endif /* HOSTMON_HOSTINFO_H */
