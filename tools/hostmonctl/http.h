/* hostmonctl's HTTP client: one GET or POST over the agent's Unix socket (libcurl). */
#ifndef HOSTMONCTL_HTTP_H
#define HOSTMONCTL_HTTP_H

#include <stddef.h>

struct ctl_http_resp {
	long status;
	char *body;	/* NUL-terminated, caller frees */
	size_t len;
};

/*
 * Sends method (GET or POST) for path to the agent listening on sock.
 * Returns 0 with *r filled (any HTTP status), or -1 with err saying why the
 * agent could not be reached.
 */
int ctl_http_call(const char *sock, const char *method, const char *path,
		  struct ctl_http_resp *r, char *err, size_t errlen);

#endif /* HOSTMONCTL_HTTP_H */
