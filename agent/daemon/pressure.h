/* The agent under pressure: its governor opened, the brownout's level applied to the families, the memory bound watched, BPF memory measured. */
#ifndef HOSTMON_DAEMON_PRESSURE_H
#define HOSTMON_DAEMON_PRESSURE_H

#include "core/compiler.h"

struct daemon;

/*
 * The governor: brownout at max_cpu_percent, max_rss_mb or a ring buffer
 * half full, watching every running family's ring. 0 or -errno (logged).
 */
HM_MUST_CHECK
int pressure_open_governor(struct daemon *d);
/*
 * The governor's second: its sample, the memory bound, and a change of shed
 * level applied to the families at once, logged and announced.
 */
void pressure_tick(struct daemon *d);
/*
 * The kernel's figures for the agent's maps (the shared exe map first, then
 * the families), and how much of the agent's RSS is their pages mapped in.
 */
void pressure_measure_bpf(struct daemon *d);

#endif /* HOSTMON_DAEMON_PRESSURE_H */
