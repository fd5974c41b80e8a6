/* hostmond's lifecycle: families, sinks and the event loop that drives them. */
#ifndef HOSTMON_DAEMON_H
#define HOSTMON_DAEMON_H

#include "config/config.h"
#include "core/compiler.h"

struct daemon;

/*
 * Opens the sinks and every enabled probe family. A family that fails is
 * logged with the kernel's reason and the daemon runs degraded without it;
 * NULL (errno set, reason logged) only when nothing can run at all, or
 * errno EADDRINUSE when another agent serves the stats socket. argv is kept
 * (not copied) for POST /admin/reload, which parses it again.
 */
HM_MUST_CHECK
struct daemon *daemon__new(const struct config *cfg, int argc, char **argv);
/* Runs until SIGINT or SIGTERM, then drains, emits the last window and stops. */
int daemon__run(struct daemon *d);
void daemon__free(struct daemon *d);

#endif /* HOSTMON_DAEMON_H */
