/* Crash records of one window counted by executable, and the self-test's canary told apart. */
#ifndef HOSTMON_CRASHTALLY_H
#define HOSTMON_CRASHTALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

/*
 * hostmonctl selftest's crasher names itself this (prctl PR_SET_NAME) before
 * it raises SIGSEGV; tools/hostmonctl/selftest.c includes this header.
 */
#define CRASHTALLY_CANARY_COMM	"hostmon-canary"
#define CRASHTALLY_CANARY_EXE	"hostmonctl"
/* Executables listed per window; crashes of more go under CRASHTALLY_OTHER. */
#define CRASHTALLY_MAX_EXES	64
#define CRASHTALLY_OTHER	"[other]"

struct crashtally;

/*
 * The canary: comm (as the kernel had it) CRASHTALLY_CANARY_COMM, exe (the
 * kernel's path) named CRASHTALLY_CANARY_EXE, dead of SIGSEGV that no other
 * process sent. exe may be NULL (unknown: never a canary).
 */
bool crashtally_is_canary(const char *comm, const char *exe, int sig, uint32_t sender_pid);

HM_MUST_CHECK
struct crashtally *crashtally__new(void);
void crashtally__free(struct crashtally *t);
/* One crash of exe ("" or NULL: unknown, counted as "[comm]"). Returns 0 or -ENOMEM. */
int crashtally__add(struct crashtally *t, const char *exe, const char *comm);
/* Calls fn for each executable and its count since the last reset, in first-seen order. */
void crashtally__each(const struct crashtally *t,
		      void (*fn)(void *ctx, const char *exe, uint64_t count), void *ctx);
void crashtally__reset(struct crashtally *t);

#endif /* HOSTMON_CRASHTALLY_H */
