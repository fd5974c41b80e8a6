/* Least privilege: once the probes are attached hostmond gives up every capability and sets no_new_privs. */
#ifndef HOSTMON_PRIVS_H
#define HOSTMON_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include "core/compiler.h"

/*
 * Clears the calling thread's effective, permitted, inheritable and ambient
 * capabilities but CAP_BPF when keep_bpf, and the bounding set when
 * CAP_SETPCAP allows it; sets no_new_privs, then reads both back.
 * Capabilities are per thread: call it before any thread is started (the
 * HTTP server and librdkafka start theirs), so they inherit nothing. 0, or
 * -errno with err naming the step that failed: the caller must not run on.
 * *bounds tells whether the bounding set was cleared too.
 */
HM_MUST_CHECK
int privs_drop(bool keep_bpf, bool *bounds, char *err, size_t errlen);

/*
 * Whether this kernel refuses bpf() on map_fd to a process without
 * capabilities (older kernels, with unprivileged BPF disabled, check
 * CAP_BPF for every bpf() command, reading a map's counts included): tried in a child
 * that drops them. 1 yes, 0 no, -errno when it could not tell.
 */
int privs_bpf_needs_cap(int map_fd);

#endif /* HOSTMON_PRIVS_H */
