/* Compiler attributes the agent's headers use. */
#ifndef HOSTMON_COMPILER_H
#define HOSTMON_COMPILER_H

/* On a function whose result says whether it failed (0 or -errno, or NULL):
 * a caller that drops it does not build. gcc ignores a (void) cast here. */
#define HM_MUST_CHECK __attribute__((warn_unused_result))

#endif
