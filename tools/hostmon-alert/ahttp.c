/* GET /metrics: Prometheus text of the service's counters (agent/serve/prom.c writes it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>
#include "ahttp.h"
#include "serve/listener.h"
#include "serve/prom.h"

struct ahttp {
	struct MHD_Daemon *mhd;
	struct service *svc;
};

struct metric {
	const char *name;
	const char *type;
	const char *help;
	size_t offset;	/* of a uint64_t in struct service_stats */
};

#define M(n, t, h, f) { "hostmon_alert_" n, t, h, offsetof(struct service_stats, f) }

static const struct metric metrics[] = {
	M("records_read_total", "counter", "Records read from both topics, replays included.", records),
	M("records_replayed_total", "counter", "Records read again to rebuild rule state after an assignment.", replayed),
	M("records_undecodable_total", "counter", "Records that were not a hostmon.v1.Envelope, skipped.", undecodable),
	M("canary_crashes_total", "counter", "Crashes marked canary (hostmonctl selftest), never alerted on.", canary_crashes),
	M("crashes_forwarded_total", "counter", "Crashes produced to the by-exe topic for the fleet-wide rules.", forwarded),
	M("forward_errors_total", "counter", "Failed produces to the by-exe topic (each retried).", forward_errors),
	M("alerts_queued_total", "counter", "Alerts (firing, updated or resolved) queued for Alertmanager.", alerts),
	M("alerts_sent_total", "counter", "Alerts Alertmanager accepted.", am.sent),
	M("alerts_dropped_total", "counter", "Alerts given up on: the queue was full while Alertmanager failed.", am.dropped),
	M("alertmanager_requests_total", "counter", "POSTs to Alertmanager's /api/v2/alerts.", am.requests),
	M("alertmanager_errors_total", "counter", "POSTs that failed (connection, timeout, non-2xx).", am.errors),
	M("alertmanager_last_status", "gauge", "HTTP status of the last POST (0: no answer).", am.last_status),
	M("queue_alerts", "gauge", "Alerts waiting for Alertmanager.", am.queued),
	M("effects_pending", "gauge", "Effects (alerts, forwards) not yet durable; offsets wait for them.", pending),
	M("silent_hosts_unlisted", "gauge", "Silent hosts alerted on that the commit metadata could not list (a new owner alerts again).", silent_unlisted),
	M("consumer_lag_records", "gauge", "Records behind the high watermark over the assigned partitions.", lag),
	M("partitions_assigned", "gauge", "Partitions of both topics assigned to this instance.", partitions),
	M("hosts", "gauge", "Hosts with state on this instance's partitions.", hosts),
	M("rebalances_total", "counter", "Assignments and revocations.", rebalances),
	M("commits_total", "counter", "Offset commits.", commits),
	M("commit_errors_total", "counter", "Offset commits that failed (retried).", commit_errors),
};

char *ahttp_metrics(const struct service_stats *st, size_t *len)
{
	struct prom p;

	prom_init(&p);
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		const struct metric *m = &metrics[i];

		prom_family(&p, m->name, m->type, m->help);
		prom_u64(&p, m->name, *(const uint64_t *)((const char *)st + m->offset), NULL);
	}
	return prom_take(&p, len);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, size_t len,
			     const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **state)
{
	struct ahttp *h = cls;
	struct service_stats st;
	char *body;
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, "GET") || strcmp(url, "/metrics")) {
		body = strdup("only GET /metrics\n");
		return reply(c, strcmp(method, "GET") ? 405 : 404, body, body ? strlen(body) : 0, "text/plain");
	}
	service__stats(h->svc, &st);
	body = ahttp_metrics(&st, &len);
	if (!body)
		return MHD_NO;
	return reply(c, 200, body, len, "text/plain; version=0.0.4");
}

struct ahttp *ahttp__new(const char *hostport, struct service *svc, char *err, size_t errlen)
{
	struct ahttp *h = calloc(1, sizeof(*h));
	int fd;

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->svc = svc;
	fd = listener_tcp(hostport, err, errlen);
	if (fd < 0) {
		free(h);
		errno = -fd;
		return NULL;
	}
	h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
				  on_request, h, MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT, 64U, MHD_OPTION_CONNECTION_TIMEOUT, 10U,
				  MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen, "cannot serve HTTP on %s", hostport);
		close(fd);
		free(h);
		errno = EIO;
		return NULL;
	}
	return h;
}

void ahttp__free(struct ahttp *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	free(h);
}
