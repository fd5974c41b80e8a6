/* The daemon's event loop: each fd registered with its callback (families' rings, window timer, governor tick, admin requests), signals around the wait. */
#ifndef HOSTMON_DAEMON_LOOP_H
#define HOSTMON_DAEMON_LOOP_H

#include <signal.h>
#include "core/compiler.h"

struct daemon;

/* Blocks SIGINT/SIGTERM except inside the loop's wait (wait_mask), so a stop is never missed. 0 or -errno. */
HM_MUST_CHECK
int loop_install_signals(sigset_t *wait_mask);
/* The loop and its sources: every running family's ring, the admin fd, the window timer, the tick. 0 or -errno. */
HM_MUST_CHECK
int loop_open(struct daemon *d);
/* Closes what loop_open opened. */
void loop_close(struct daemon *d);
/* Runs until SIGINT or SIGTERM (or a failed wait), then drains, emits the last window and stops. 0 or -errno. */
int loop_run(struct daemon *d);

#endif /* HOSTMON_DAEMON_LOOP_H */
