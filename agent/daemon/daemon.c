/* hostmond from start to stop: the startup steps in order, the loop, and everything freed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/log.h"
#include "daemon/daemon.h"
#include "daemon/governor.h"
#include "daemon/lifecycle.h"
#include "daemon/loop.h"
#include "daemon/pressure.h"
#include "daemon/startup.h"
#include "daemon/state.h"
#include "daemon/status.h"
#include "probes/exemap.h"
#include "probes/families.h"
#include "probes/family_set.h"
#include "probes/pidcache.h"
#include "probes/workload_cache.h"
#include "probes/workloads.h"
#include "record/evring.h"
#include "serve/snapshot.h"
#include "serve/statsock.h"
#include "sinks/jsonl_sink.h"
#include "sinks/kafka_sink.h"
#include "sinks/pipeline.h"

/* Everything before the loop, in order; 0 or -errno (logged). */
static int start(struct daemon *d)
{
	/* Before the slow part (loading probes), so a stop request then is kept, not lost. */
	int ret = loop_install_signals(&d->wait_mask);

	if (!ret)
		ret = startup_outputs(d);
	if (!ret)
		ret = startup_families(d);
	if (!ret)
		ret = pressure_open_governor(d);
	if (ret)
		return ret;
	pressure_measure_bpf(d);
	/* No thread exists yet: librdkafka's and the HTTP server's inherit nothing. */
	ret = startup_drop_privileges(d);
	if (!ret)
		ret = startup_kafka(d);
	if (!ret)
		ret = startup_socket(d);
	if (ret)
		return ret;
	ret = loop_open(d);
	if (ret)
		log_error("hostmond", HM_E_EVENT_LOOP, LOG_FIELDS(LF_ERRNO(-ret)),
			  "event loop setup failed: %s", strerror(-ret));
	return ret;
}

struct daemon *daemon__new(const struct config *cfg, int argc, char **argv)
{
	struct daemon *d = calloc(1, sizeof(*d));
	int ret = -ENOMEM;

	if (!d)
		goto fail;
	d->cfg = *cfg;
	d->argc = argc;
	d->argv = argv;
	d->timerfd = d->tickfd = -1;
	d->fams = family_set__new(families);
	d->life = d->fams ? lifecycle__new(status_on_change, d) : NULL;
	if (!d->life)
		goto fail;
	ret = start(d);
	if (ret)
		goto fail;
	return d;
fail:
	if (d && d->life) {
		char cause[160];

		snprintf(cause, sizeof(cause), "start failed: %s", strerror(-ret));
		lifecycle__to(d->life, AGENT_STOPPED, cause);
	}
	daemon__free(d);
	errno = -ret;
	return NULL;
}

void daemon__free(struct daemon *d)
{
	if (!d)
		return;
	/* Destroying the skeletons detaches the probes. */
	family_set__free(d->fams);
	workloads__free(d->workloads);
	workload_cache__free(d->wl_names);
	loop_close(d);
	statsock__free(d->sock);
	snapshot_builder__free(d->snap);
	/* The last records (final window, "stopped") get 10 s to reach the broker. */
	kafka_sink__close(d->kafka, 10000);
	kafka_sink__free(d->kafka);
	spool__free(d->spool);
	pipeline__free(d->out);
	evring__free(d->events);
	jsonl_sink__free(d->jsonl);
	lifecycle__free(d->life);
	governor__free(d->gov);
	pidcache__free(d->procs);
	exemap__free(d->exe);
	free(d);
}

int daemon__run(struct daemon *d)
{
	return loop_run(d);
}
