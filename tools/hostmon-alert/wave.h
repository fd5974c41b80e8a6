/*
 * The fleet-wide rule over one partition of the internal by-exe topic: one
 * executable crashing on K or more hosts within the window. Its records are
 * the crash envelopes the per-host stage forwarded, keyed by exe, so every
 * crash of one exe meets on one partition whichever instance read its host.
 */
#ifndef HOSTMON_ALERT_WAVE_H
#define HOSTMON_ALERT_WAVE_H

#include <stdint.h>
#include "rules.h"

struct wave;

struct wave *wave__new(const struct rules_cfg *cfg, rules_emit_fn emit, void *ctx);
void wave__free(struct wave *w);
/* One forwarded crash at offset; live as in rules__record. 0 or -ENOMEM. */
int wave__record(struct wave *w, const Hostmon__V1__Envelope *env, int64_t offset, int live);
/* Forgets executables whose last crash left the window before now_ns. */
void wave__tick(struct wave *w, uint64_t now_ns);
int64_t wave__replay_from(struct wave *w);

#endif /* HOSTMON_ALERT_WAVE_H */
