/*
 * The per-host stream rules over one partition of hostmon.events: crash
 * loops, OOM kills, silent hosts, lost records and agent restarts, degraded
 * or shedding agents. Pure logic: records in, alerts out through a callback.
 */
#ifndef HOSTMON_ALERT_RULES_H
#define HOSTMON_ALERT_RULES_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"
#include "proto/hostmon.pb-c.h"

#define RULES_COUNT_MAX		64	/* largest crash-loop or OOM count */
#define RULES_PIDS		5	/* example pids an alert carries */

struct rules_cfg {
	unsigned crash_loop_count;	/* N crashes of one exe on one host ... */
	uint64_t crash_loop_window_ns;	/* ... within this window */
	unsigned wave_hosts;		/* the exe crashing on K hosts ... */
	uint64_t wave_window_ns;	/* ... within this window */
	unsigned oom_count;		/* OOM kills in one container ... */
	uint64_t oom_window_ns;		/* ... within this window */
	unsigned silent_intervals;	/* no record for this many of the host's intervals */
	uint64_t default_interval_ns;	/* a host's interval before its first metrics window */
	uint64_t lost_hold_ns;		/* how long a lost-records or restart alert stays */
	uint64_t forget_ns;		/* a host without a record this long is forgotten */
	uint64_t refresh_ns;		/* an open alert is sent again this often */
	char runbook[256];		/* base URL of the stream alerts' runbook */
};

/* The defaults docs/hostmon-alert.md documents. */
void rules_cfg_defaults(struct rules_cfg *cfg);

/*
 * One alert to send, caused by the record at offset (for a time-driven
 * alert: the partition's next offset). silent_host non-NULL: a silent-host
 * alert; call rules__silent_sent once it is durable at Alertmanager.
 */
typedef void (*rules_emit_fn)(void *ctx, const struct alert *a, int64_t offset,
			      const char *silent_host);

/* An episode: a firing, record-driven alert and its evidence. */
struct episode {
	uint64_t starts_ns;	/* when the condition became true */
	uint64_t first_ns;	/* first record counted */
	uint64_t last_ns;
	uint64_t count;
	uint64_t sent_ns;	/* last_ns when last sent */
	int64_t first_offset;	/* record that opened it (state to replay from) */
	uint32_t pids[RULES_PIDS];
	unsigned npids;
	int firing;
};

/* Adds one record to an episode's evidence. */
void episode_add(struct episode *ep, uint64_t ts_ns, uint32_t pid);
/* count, first_seen, last_seen, example_pids annotations. */
void episode_notes(struct alert *a, const struct episode *ep);
/* What crashes are grouped by (crash loop, wave): the exe, else "comm:" and the comm. */
const char *rules_exe_key(const Hostmon__V1__ProcessCrash *c, char *buf, size_t len);
/* The runbook annotation: base#anchor. */
void rules_runbook(struct alert *a, const char *base, const char *anchor);

struct rules_stats {
	uint64_t records;
	uint64_t canary_crashes;	/* crashes marked canary, never alerted on */
	uint64_t duplicates;		/* records whose seq was seen already */
	uint64_t hosts;			/* hosts known now */
};

struct rules;

struct rules *rules__new(const struct rules_cfg *cfg, rules_emit_fn emit, void *ctx);
void rules__free(struct rules *r);
/*
 * One record at offset. live 0: replaying records whose effects are already
 * durable (before the committed offset): the state is rebuilt, nothing is
 * emitted. 0 or -ENOMEM.
 */
int rules__record(struct rules *r, const Hostmon__V1__Envelope *env, int64_t offset, int live);
/*
 * Time-driven rules (silent hosts) at reference time now_ns (the caller's:
 * the stream's time while it reads a backlog, the clock once caught up);
 * next_offset is the partition's next offset to read.
 */
void rules__tick(struct rules *r, uint64_t now_ns, int64_t next_offset);
/* Lowest offset whose record the current state depends on; -1 when none. */
int64_t rules__replay_from(struct rules *r);
/*
 * A silent-host alert for host_id is known sent: delivered, or listed in the
 * committed offset's metadata by the partition's previous owner (then it is
 * not sent again, only refreshed as that owner would have).
 */
void rules__silent_sent(struct rules *r, const char *host_id);
/* Writes the host ids (comma-separated) whose silent alert is sent, up to len; returns hosts left out. */
size_t rules__silent_list(struct rules *r, char *out, size_t len);
void rules__stats(const struct rules *r, struct rules_stats *out);

#endif /* HOSTMON_ALERT_RULES_H */
