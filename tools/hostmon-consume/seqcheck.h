/* Gap and duplicate accounting of envelope sequence numbers, per agent instance. */
#ifndef HOSTMON_SEQCHECK_H
#define HOSTMON_SEQCHECK_H

#include <stddef.h>
#include <stdint.h>

struct seqcheck;

/*
 * One agent instance's figures. An instance numbers its records from 1, so
 * gaps counts the seqs missing from 1 to last (a lost first record is a gap);
 * duplicates counts every record beyond the first with the same seq.
 */
struct seqcheck_summary {
	const char *host_id;
	const char *boot_id;
	const char *instance_id;
	uint64_t first; /* lowest seq seen */
	uint64_t last;  /* highest seq seen */
	uint64_t count; /* records seen, duplicates included */
	uint64_t gaps;
	uint64_t duplicates;
};

struct seqcheck *seqcheck__new(void);
void seqcheck__free(struct seqcheck *sc);
/* Notes one record of instance (host_id, boot_id, instance_id); 0 or -ENOMEM. */
int seqcheck__add(struct seqcheck *sc, const char *host_id, const char *boot_id,
		  const char *instance_id, uint64_t seq);
/* Instances in the order they were first seen. */
size_t seqcheck__instances(const struct seqcheck *sc);
/* Fills out for instance i (< seqcheck__instances); strings live as long as sc. */
void seqcheck__summary(struct seqcheck *sc, size_t i, struct seqcheck_summary *out);

#endif /* HOSTMON_SEQCHECK_H */
