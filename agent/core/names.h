/* Names of syscalls (x86_64), signals and errnos, for events and metrics. */
#ifndef HOSTMON_NAMES_H
#define HOSTMON_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"

/* Syscall number by name ("getppid"), or -1 if unknown. */
int names_syscall_nr(const char *name);

/* Name of a syscall number; numbers newer than our headers give "sys_<nr>". */
const char *names_syscall(unsigned int nr);

/* "SIGSEGV" for 11; "SIG<n>" for numbers without a name. */
const char *names_signal(int sig);

/* "ECONNREFUSED" for 111; "E<n>" for numbers without a name. */
const char *names_errno(int err);

/*
 * Sets the bit of every syscall named in a comma-separated list (spaces
 * around names allowed, empty list sets nothing) in bitmap[words]. Returns 0,
 * or -EINVAL with the first unknown name copied into bad.
 */
HM_MUST_CHECK
int names_syscall_set(const char *list, uint64_t *bitmap, size_t words, char *bad,
		      size_t badlen);

#endif /* HOSTMON_NAMES_H */
