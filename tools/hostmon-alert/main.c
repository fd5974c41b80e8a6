/* hostmon-alert: alerts on the hostmon.v1 event stream (Kafka consumer group) into Alertmanager. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>
#include "aconf.h"
#include "ahttp.h"
#include "alog.h"
#include "service.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int run(struct aconf *c)
{
	struct ahttp *http = NULL;
	struct service *svc;
	char err[512];
	int ret;

	svc = service__new(&c->svc);
	if (!svc)
		return 1;
	if (c->metrics_listen[0]) {
		http = ahttp__new(c->metrics_listen, svc, err, sizeof(err));
		if (!http) {
			alog(ALOG_ERROR, "http", "metrics: %s", err);
			service__free(svc);
			return 1;
		}
	}
	alog(ALOG_INFO, "service", "group %s reading %s and %s on %s; Alertmanager %s; metrics %s",
	     c->svc.group_id, c->svc.topic, c->svc.by_exe_topic, c->svc.brokers, c->svc.am.url,
	     c->metrics_listen[0] ? c->metrics_listen : "off");
	ret = service__run(svc, &stop);
	ahttp__free(http);
	service__free(svc);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct aconf c;
	char err[1024];
	int ret;

	aconf_defaults(&c);
	ret = aconf_args(&c, argc, argv, err, sizeof(err));
	if (ret) {
		if (ret < 0)
			fprintf(stderr, "hostmon-alert: %s\n", err);
		aconf_release(&c);
		return ret < 0 ? 2 : 0;
	}
	if (c.check_only) {
		printf("hostmon-alert: configuration ok\n");
		aconf_release(&c);
		return 0;
	}
	if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR ||
	    curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "hostmon-alert: start-up failed: %s\n", strerror(errno));
		aconf_release(&c);
		return 1;
	}
	ret = run(&c);
	curl_global_cleanup();
	aconf_release(&c);
	return ret;
}
