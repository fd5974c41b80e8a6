/* hostmonctl: what the commands share: the socket, output mode, and one request. */
#ifndef HOSTMONCTL_CTL_H
#define HOSTMONCTL_CTL_H

#include <stdbool.h>
#include <json-c/json.h>

struct ctl {
	const char *sock;
	bool json;		/* --json: raw bodies */
};

/*
 * GETs (or POSTs) path and parses the JSON body. On any failure prints one
 * line "hostmonctl: ..." to stderr (unless quiet and the agent answered with
 * an error status) and returns NULL. With raw, the body of a success is
 * returned unparsed in *raw (caller frees) and the result is a dummy object.
 */
struct json_object *ctl_fetch(const struct ctl *c, const char *method, const char *path,
			      char **raw, bool quiet);

/* `top`: the live table; returns the exit status. */
int ctl_top(const struct ctl *c, int argc, char **argv);
/*
 * `selftest`: makes a slow read, a refused connect and a crashing child, and
 * checks that the agent reported each; one PASS/FAIL line per stage, exit
 * status 1 on any failure.
 */
int ctl_selftest(const struct ctl *c, int argc, char **argv);
/* The selftest's crashing child runs `hostmonctl CTL_CANARY_ARG`: it dies as the canary. */
#define CTL_CANARY_ARG	"--selftest-canary-crash"
void ctl_canary_crash(void) __attribute__((noreturn));

#endif /* HOSTMONCTL_CTL_H */
