/* hostmon-alert's own /metrics over HTTP (libmicrohttpd), from the service's stats snapshot. */
#ifndef HOSTMON_ALERT_AHTTP_H
#define HOSTMON_ALERT_AHTTP_H

#include "service.h"

struct ahttp;

/* Listens on "HOST:PORT"; NULL, errno set, with err naming why. */
struct ahttp *ahttp__new(const char *hostport, struct service *svc, char *err, size_t errlen);
void ahttp__free(struct ahttp *h);
/* The metrics text for stats (tests read it through the server). */
char *ahttp_metrics(const struct service_stats *st, size_t *len);

#endif /* HOSTMON_ALERT_AHTTP_H */
