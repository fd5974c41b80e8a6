/* The loop: what wakes the daemon and what each wake does; the families' rings read in batches between the timers. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/timerfd.h>
#include "core/encode.h"
#include "core/evloop.h"
#include "core/log.h"
#include "daemon/admin.h"
#include "daemon/governor.h"
#include "daemon/health.h"
#include "daemon/lifecycle.h"
#include "daemon/loop.h"
#include "daemon/pressure.h"
#include "daemon/state.h"
#include "daemon/status.h"
#include "daemon/window.h"
#include "probes/family_set.h"
#include "serve/statsock.h"
#include "sinks/kafka_sink.h"
#include "sinks/pipeline.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = sig;
}

int loop_install_signals(sigset_t *wait_mask)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, wait_mask) || sigaction(SIGINT, &sa, NULL) ||
	    sigaction(SIGTERM, &sa, NULL))
		return -errno;
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGTERM);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -errno;
	return 0;
}

/* Before each read of the rings: their fill noted at its peak, the pipeline's batch begun. */
static void on_batch(void *ctx)
{
	struct daemon *d = ctx;

	governor__note_fill(d->gov);
	pipeline__begin(d->out);
}

/* A timerfd's expirations read; false when it had none. */
static bool timer_fired(int fd)
{
	uint64_t expirations;

	return read(fd, &expirations, sizeof(expirations)) == sizeof(expirations);
}

static void on_timer(void *ctx, int fd, uint32_t events)
{
	struct daemon *d = ctx;

	(void)events;
	if (!timer_fired(fd))
		return;
	family_set__drain(d->fams);
	pressure_measure_bpf(d);
	window_emit(d);
	status_settle(d);
	health_publish(d);
}

static void on_tick(void *ctx, int fd, uint32_t events)
{
	(void)events;
	if (timer_fired(fd))
		pressure_tick(ctx);
}

static int set_timer(struct daemon *d)
{
	struct itimerspec its = {
		.it_interval = { .tv_sec = d->cfg.interval_s },
		.it_value = { .tv_sec = d->cfg.interval_s },
	};

	return timerfd_settime(d->timerfd, 0, &its, NULL) ? -errno : 0;
}

/* An admin request from the stats socket, applied here where the state lives. */
static void on_admin(void *ctx, int fd, uint32_t events)
{
	struct daemon *d = ctx;
	unsigned int old_interval = d->cfg.interval_s, status;
	struct statsock_admin req;
	struct json_object *body;

	(void)fd;
	(void)events;
	if (!statsock__admin_take(d->sock, &req))
		return;
	if (req.op == STATSOCK_ADMIN_LOG_LEVEL)
		status = admin_log_level(&d->cfg, req.level, &body);
	else
		status = admin_reload(&d->cfg, d->argc, d->argv, &body);
	if (d->cfg.interval_s != old_interval && set_timer(d))
		log_error("hostmond", HM_E_EVENT_LOOP, LOG_FIELDS(LF_ERRNO(errno)),
			  "cannot change the window timer: %s", strerror(errno));
	statsock__admin_answer(d->sock, status, encode_line(body));
	json_object_put(body);
	health_publish(d);
}

static int start_tick(struct daemon *d)
{
	struct itimerspec its = { .it_interval = { .tv_sec = 1 }, .it_value = { .tv_sec = 1 } };

	d->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->tickfd < 0 || timerfd_settime(d->tickfd, 0, &its, NULL))
		return -errno;
	return evloop__add(d->loop, d->tickfd, EPOLLIN, on_tick, d);
}

static int start_timer(struct daemon *d)
{
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->timerfd < 0 || set_timer(d))
		return -errno;
	window_start(d);
	return evloop__add(d->loop, d->timerfd, EPOLLIN, on_timer, d);
}

int loop_open(struct daemon *d)
{
	int ret;

	d->loop = evloop__new();
	if (!d->loop)
		return -errno;
	family_set__on_batch(d->fams, on_batch, d);
	ret = family_set__watch(d->fams, d->loop);
	if (!ret)
		ret = evloop__add(d->loop, statsock__admin_fd(d->sock), EPOLLIN, on_admin, d);
	if (!ret)
		ret = start_timer(d);
	if (!ret)
		ret = start_tick(d);
	return ret;
}

void loop_close(struct daemon *d)
{
	if (d->timerfd >= 0)
		close(d->timerfd);
	if (d->tickfd >= 0)
		close(d->tickfd);
	evloop__free(d->loop);
}

/*
 * How long the loop may sleep: detail events wake it only once enough bytes
 * wait (BPF wakeup_bytes), so it drains every ring_flush_ms regardless; at
 * once when the last drain left a batch; sooner for spooled Kafka records.
 */
static int loop_wait_ms(const struct daemon *d, bool more)
{
	int kafka = kafka_sink__wait_ms(d->kafka), flush = (int)d->cfg.ring_flush_ms;

	if (more)
		return 0;
	if (!flush)
		return kafka;
	return kafka >= 0 && kafka < flush ? kafka : flush;
}

/*
 * Until a stop: each turn calls the callback of every fd that woke it (a
 * ring's reads a batch of its family), then reads a batch of every family
 * not read yet, as ring_flush_ms asks; 0, or -errno when the wait failed.
 */
static int turns(struct daemon *d, char *cause, size_t len)
{
	bool more = false;
	int n;

	while (!stop_requested) {
		n = evloop__run_once(d->loop, loop_wait_ms(d, more), &d->wait_mask);
		if (n < 0) {
			log_error("hostmond", HM_E_EVENT_LOOP, LOG_FIELDS(LF_ERRNO(-n)),
				  "epoll_wait failed: %s", strerror(-n));
			snprintf(cause, len, "event loop error: epoll_wait: %s", strerror(-n));
			return n;
		}
		if (n > 0 || d->cfg.ring_flush_ms)
			more = family_set__poll_rest(d->fams);
		/* Also on a timeout: spooled records waiting for room in the Kafka queue. */
		pipeline__flush(d->out);
	}
	return 0;
}

int loop_run(struct daemon *d)
{
	char cause[160] = "event loop error";
	int ret;

	status_settle(d);
	log_info("hostmond", "running (%s), window %us, output %s",
		 lifecycle__state(d->life) == AGENT_DEGRADED ? "degraded" : "all probes attached",
		 d->cfg.interval_s, d->cfg.output);
	ret = turns(d, cause, sizeof(cause));
	if (stop_requested)
		snprintf(cause, sizeof(cause), "signal %s",
			 stop_requested == SIGINT ? "SIGINT" : "SIGTERM");
	log_info("hostmond", "stopping: draining events and closing the last window");
	lifecycle__to(d->life, AGENT_DRAINING, cause);
	/* What the ring buffers hold now, in batches; bounded, should a storm go on. */
	for (int i = 0; i < 64 && family_set__drain(d->fams); i++)
		;
	window_emit(d);
	lifecycle__to(d->life, AGENT_STOPPED, cause);
	return ret;
}
