/* Least privilege: once the probes are attached hostmond gives up every capability and sets no_new_privs. */
#ifndef HOSTMON_PRIVS_H
#define HOSTMON_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include "compiler.h"

/*
 * Clears the calling thread's effective, permitted, inheritable and ambient
 * capabilities, and the bounding set when CAP_SETPCAP allows it; sets
 * no_new_privs, then reads both back.
 * Capabilities are per thread: call it before any thread is started (the
 * HTTP server and librdkafka start theirs), so they inherit nothing. 0, or
 * -errno with err naming the step that failed: the caller must not run on.
 * *bounds tells whether the bounding set was cleared too.
 */
HM_MUST_CHECK
int privs_drop(bool *bounds, char *err, size_t errlen);

#endif /* HOSTMON_PRIVS_H */
