/* Stats socket: routes, access control and responses; every answer comes from a published snapshot. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include "record/evring.h"
#include "serve/listener.h"
#include "core/log.h"
#include "serve/query.h"
#include "serve/snapshot.h"
#include "serve/statsock.h"

#define STATSOCK_CONN_LIMIT	64
#define STATSOCK_CONN_TIMEOUT_S	10
#define STATSOCK_CONN_MEMORY	(64 * 1024)
#define STATSOCK_ADMIN_WAIT_S	5
#define JSON_TYPE		"application/json"
#define PROM_TYPE		"text/plain; version=0.0.4; charset=utf-8"

/* The one request in flight from the server thread to the event loop. */
struct statsock_mailbox {
	pthread_mutex_t lock;
	pthread_cond_t answered;
	struct statsock_admin req;
	uint64_t next_id;	/* id of the latest request */
	uint64_t pending_id;	/* waiting to be taken, 0: none */
	uint64_t taken_id;
	uint64_t answer_id;
	unsigned int status;
	char *body;
	bool closing;
	int efd;
};

/* One libmicrohttpd daemon: the Unix socket (every route) or TCP (/metrics only). */
struct statsock_server {
	struct statsock *ss;
	struct MHD_Daemon *mhd;
	bool metrics_only;
};

struct statsock {
	pthread_mutex_t lock;		/* guards snap */
	struct snapshot *snap;
	struct evring *events;
	struct statsock_mailbox mb;
	struct statsock_server unix_srv;
	struct statsock_server tcp_srv;
	char path[CONFIG_STR_MAX];
	int lock_fd;
};

/* What a handler gets: the request, its parsed query and the snapshot it reads. */
struct statsock_req {
	struct statsock *ss;
	struct MHD_Connection *conn;
	struct query q;
	struct snapshot *snap;
};

struct statsock_route {
	const char *method;
	const char *path;
	unsigned int params;	/* enum query_param bits it takes */
	bool admin;		/* uid 0 only */
	enum MHD_Result (*serve)(struct statsock_req *r);
};

static enum MHD_Result respond(struct MHD_Connection *c, unsigned int status, const char *type,
			       const char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned int status,
				    struct json_object *body)
{
	size_t len;
	const char *s = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &len);
	enum MHD_Result ret = s ? respond(c, status, JSON_TYPE, s, len) : MHD_NO;

	json_object_put(body);
	return ret;
}

struct json_object *statsock_error(const char *code, const char *message)
{
	struct json_object *body = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(body, "error", e);
	return body;
}

static enum MHD_Result respond_error(struct MHD_Connection *c, unsigned int status,
				     const char *code, const char *message)
{
	return respond_json(c, status, statsock_error(code, message));
}

static enum MHD_Result serve_health(struct statsock_req *r)
{
	return respond(r->conn, MHD_HTTP_OK, JSON_TYPE, r->snap->health, r->snap->health_len);
}

static enum MHD_Result serve_metrics(struct statsock_req *r)
{
	return respond(r->conn, MHD_HTTP_OK, PROM_TYPE, r->snap->metrics, r->snap->metrics_len);
}

static int by_calls_desc(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a, *y = *(struct json_object *const *)b, *v;
	uint64_t cx = 0, cy = 0;

	if (json_object_object_get_ex(x, "calls", &v))
		cx = json_object_get_uint64(v);
	if (json_object_object_get_ex(y, "calls", &v))
		cy = json_object_get_uint64(v);
	return cx < cy ? 1 : cx > cy ? -1 : 0;
}

/* The window's syscalls, only the one named, or the top N by calls. */
static void filter_syscalls(struct json_object *rows, const struct query *q)
{
	struct json_object *name;
	size_t n = json_object_array_length(rows);

	if (q->given & QUERY_SYSCALL) {
		for (size_t i = n; i-- > 0;) {
			if (!json_object_object_get_ex(json_object_array_get_idx(rows, i), "syscall",
						       &name) ||
			    strcmp(json_object_get_string(name), q->syscall))
				json_object_array_del_idx(rows, i, 1);
		}
	}
	if (q->given & QUERY_TOP) {
		json_object_array_sort(rows, by_calls_desc);
		n = json_object_array_length(rows);
		if (n > q->top)
			json_object_array_del_idx(rows, q->top, n - q->top);
	}
}

/* s (a string member of o) is text or, for a container id, starts with it. */
static bool member_is(struct json_object *o, const char *key, const char *text, bool prefix)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	return prefix ? !strncmp(s, text, strlen(text)) : !strcmp(s, text);
}

/*
 * The window's workloads, only those a container= names (by container id or
 * its prefix, name or cgroup path), or the first N as ranked. false: the
 * container named is not among them.
 */
static bool filter_workloads(struct json_object *window, const struct query *q)
{
	struct json_object *wl, *top, *w;
	size_t n;

	if (!json_object_object_get_ex(window, "workloads", &wl) ||
	    !json_object_object_get_ex(wl, "top", &top))
		return !(q->given & QUERY_CONTAINER);
	n = json_object_array_length(top);
	if (q->given & QUERY_CONTAINER) {
		for (size_t i = n; i-- > 0;) {
			w = json_object_array_get_idx(top, i);
			if (!member_is(w, "container_id", q->container, true) &&
			    !member_is(w, "name", q->container, false) &&
			    !member_is(w, "cgroup", q->container, false))
				json_object_array_del_idx(top, i, 1);
		}
		n = json_object_array_length(top);
		if (!n)
			return false;
	}
	if ((q->given & QUERY_TOP_CONTAINERS) && n > q->top_containers)
		json_object_array_del_idx(top, q->top_containers, n - q->top_containers);
	return true;
}

static enum MHD_Result serve_stats(struct statsock_req *r)
{
	struct json_object *window, *rows;

	if (!r->snap->stats)
		return respond_error(r->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no_window_yet",
				     "no metrics window has closed yet; retry after the interval");
	if (!r->q.given)
		return respond(r->conn, MHD_HTTP_OK, JSON_TYPE, r->snap->stats, r->snap->stats_len);
	/* A private copy to filter: the snapshot itself is never changed. */
	window = json_tokener_parse(r->snap->stats);
	if (!window)
		return MHD_NO;
	if (json_object_object_get_ex(window, "syscalls", &rows))
		filter_syscalls(rows, &r->q);
	if (!filter_workloads(window, &r->q)) {
		json_object_put(window);
		return respond_error(r->conn, MHD_HTTP_NOT_FOUND, "unknown_container",
				     "no workload of the last window has that container id, name or "
				     "cgroup (only the top [workloads] top are kept: see workloads.other)");
	}
	return respond_json(r->conn, MHD_HTTP_OK, window);
}

struct events_out {
	FILE *f;
	uint64_t last;
};

static void events_add(void *ctx, uint64_t seq, const char *line)
{
	struct events_out *o = ctx;

	fprintf(o->f, "%s%s", o->last ? "," : "", line);
	o->last = seq;
}

/* {"events":[...],"next_since":SEQ,"oldest_seq":SEQ}; the events are already JSON text. */
static enum MHD_Result serve_events(struct statsock_req *r)
{
	struct events_out o = { .last = 0 };
	uint64_t oldest;
	char *body = NULL;
	size_t len = 0;
	enum MHD_Result ret;

	o.f = open_memstream(&body, &len);
	if (!o.f)
		return MHD_NO;
	fputs("{\"events\":[", o.f);
	/* Without since: the newest events; with it, the next ones after since. */
	evring__read(r->ss->events, r->q.since, r->q.limit, !(r->q.given & QUERY_SINCE),
		     events_add, &o, &oldest);
	fprintf(o.f, "],\"next_since\":%llu,\"oldest_seq\":%llu}",
		(unsigned long long)(o.last ? o.last : r->q.since), (unsigned long long)oldest);
	if (fclose(o.f)) {
		free(body);
		return MHD_NO;
	}
	ret = respond(r->conn, MHD_HTTP_OK, JSON_TYPE, body, len);
	free(body);
	return ret;
}

/* Hands req to the event loop and waits for its answer (at most STATSOCK_ADMIN_WAIT_S). */
static enum MHD_Result admin_call(struct statsock_req *r, const struct statsock_admin *req)
{
	struct statsock_mailbox *mb = &r->ss->mb;
	struct timespec deadline;
	uint64_t id, one = 1;
	enum MHD_Result ret;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += STATSOCK_ADMIN_WAIT_S;
	pthread_mutex_lock(&mb->lock);
	id = mb->pending_id = ++mb->next_id;
	mb->req = *req;
	if (write(mb->efd, &one, sizeof(one)) != sizeof(one))
		log_warn("statsock", HM_E_ADMIN_MAILBOX, LOG_FIELDS(LF_ERRNO(errno)),
			 "cannot wake the event loop: %s", strerror(errno));
	while (mb->answer_id != id && !mb->closing &&
	       pthread_cond_timedwait(&mb->answered, &mb->lock, &deadline) != ETIMEDOUT)
		;
	if (mb->answer_id == id)
		ret = respond(r->conn, mb->status, JSON_TYPE, mb->body, strlen(mb->body));
	else
		ret = respond_error(r->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
				    "the agent's event loop did not answer in time");
	if (mb->pending_id == id)
		mb->pending_id = 0;
	pthread_mutex_unlock(&mb->lock);
	return ret;
}

static enum MHD_Result serve_log_level(struct statsock_req *r)
{
	struct statsock_admin req = { .op = STATSOCK_ADMIN_LOG_LEVEL, .level = r->q.level };

	return admin_call(r, &req);
}

static enum MHD_Result serve_reload(struct statsock_req *r)
{
	struct statsock_admin req = { .op = STATSOCK_ADMIN_RELOAD };

	return admin_call(r, &req);
}

static const struct statsock_route routes[] = {
	{ "GET", "/health", 0, false, serve_health },
	{ "GET", "/stats", QUERY_SYSCALL | QUERY_TOP | QUERY_CONTAINER | QUERY_TOP_CONTAINERS, false,
	  serve_stats },
	{ "GET", "/metrics", 0, false, serve_metrics },
	{ "GET", "/events", QUERY_SINCE | QUERY_LIMIT, false, serve_events },
	{ "POST", "/admin/log-level", QUERY_LEVEL, true, serve_log_level },
	{ "POST", "/admin/reload", 0, true, serve_reload },
};

#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* The peer's uid from SO_PEERCRED; -1 when unknown (TCP, or the call failed). */
static long peer_uid(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!info || getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -1;
	return cred.uid;
}

struct query_walk {
	struct query *q;
	unsigned int allowed;
	int ret;
	char err[128];
};

static enum MHD_Result query_one(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct query_walk *w = cls;

	(void)kind;
	w->ret = query_add(w->q, w->allowed, key, value, w->err, sizeof(w->err));
	return w->ret ? MHD_NO : MHD_YES;
}

static const struct statsock_route *find_route(const char *url, bool metrics_only)
{
	for (size_t i = 0; i < NROUTES; i++)
		if (!strcmp(url, routes[i].path) &&
		    (!metrics_only || routes[i].serve == serve_metrics))
			return &routes[i];
	return NULL;
}

static struct snapshot *current(struct statsock *ss)
{
	struct snapshot *s;

	pthread_mutex_lock(&ss->lock);
	s = ss->snap ? snapshot__get(ss->snap) : NULL;
	pthread_mutex_unlock(&ss->lock);
	return s;
}

/* Method, access and parameters checked in that order; then the route's handler. */
static enum MHD_Result dispatch(struct statsock_server *srv, struct MHD_Connection *c,
				const struct statsock_route *rt, const char *method)
{
	struct statsock_req r = { .ss = srv->ss, .conn = c };
	struct query_walk w = { .q = &r.q, .allowed = rt->params };
	enum MHD_Result ret;

	if (strcmp(method, rt->method) && !(!strcmp(method, "HEAD") && !strcmp(rt->method, "GET")))
		return respond_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
				     rt->admin ? "use POST" : "use GET");
	if (rt->admin && peer_uid(c) != 0)
		return respond_error(c, MHD_HTTP_FORBIDDEN, "forbidden",
				     "admin endpoints are for uid 0 only");
	query_init(&r.q);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_one, &w);
	if (!w.ret && rt->params == QUERY_LEVEL)
		w.ret = query_require(&r.q, QUERY_LEVEL, w.err, sizeof(w.err));
	if (w.ret)
		return respond_error(c, MHD_HTTP_BAD_REQUEST, "bad_parameter", w.err);
	r.snap = current(srv->ss);
	if (!r.snap)
		return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "starting",
				     "the agent is starting");
	ret = rt->serve(&r);
	snapshot__put(r.snap);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct statsock_server *srv = cls;
	const struct statsock_route *rt;
	static int seen;

	(void)version;
	(void)upload_data;
	if (!*con_cls) {	/* headers only so far */
		*con_cls = &seen;
		return MHD_YES;
	}
	if (*upload_data_size) {	/* no endpoint takes a body: discard it */
		*upload_data_size = 0;
		return MHD_YES;
	}
	rt = find_route(url, srv->metrics_only);
	if (!rt)
		return respond_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint");
	return dispatch(srv, c, rt, method);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	if (LOG_LEVEL_DEBUG > log_level_now())
		return;	/* formatting nothing that would not be written */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("statsock", "libmicrohttpd: %s", msg);
}

static int server_start(struct statsock_server *srv, int fd)
{
	srv->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
				    MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, srv,
				    MHD_OPTION_LISTEN_SOCKET, fd,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)STATSOCK_CONN_LIMIT,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)STATSOCK_CONN_TIMEOUT_S,
				    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)STATSOCK_CONN_MEMORY,
				    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				    MHD_OPTION_END);
	if (!srv->mhd) {
		close(fd);
		return -EIO;
	}
	return 0;
}

static int mailbox_init(struct statsock_mailbox *mb)
{
	pthread_mutex_init(&mb->lock, NULL);
	pthread_cond_init(&mb->answered, NULL);
	mb->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return mb->efd < 0 ? -errno : 0;
}

static int start_servers(struct statsock *ss, const char *path, const char *metrics_listen,
			 char *err, size_t errlen)
{
	int fd, ret;

	fd = listener_unix(path, &ss->lock_fd, err, errlen);
	if (fd < 0)
		return fd;
	ret = server_start(&ss->unix_srv, fd);
	if (ret) {
		snprintf(err, errlen, "cannot start the HTTP server on %s", path);
		return ret;
	}
	if (!metrics_listen[0])
		return 0;
	fd = listener_tcp(metrics_listen, err, errlen);
	if (fd < 0)
		return fd;
	ret = server_start(&ss->tcp_srv, fd);
	if (ret)
		snprintf(err, errlen, "cannot start the HTTP server on %s", metrics_listen);
	return ret;
}

struct statsock *statsock__new(const char *path, const char *metrics_listen,
			       struct evring *events, char *err, size_t errlen)
{
	struct statsock *ss = calloc(1, sizeof(*ss));
	int ret = -ENOMEM;

	if (!ss)
		goto fail;
	pthread_mutex_init(&ss->lock, NULL);
	ss->events = events;
	ss->lock_fd = -1;
	snprintf(ss->path, sizeof(ss->path), "%s", path);
	ss->unix_srv = (struct statsock_server){ .ss = ss };
	ss->tcp_srv = (struct statsock_server){ .ss = ss, .metrics_only = true };
	ret = mailbox_init(&ss->mb);
	if (!ret)
		ret = start_servers(ss, path, metrics_listen, err, errlen);
	if (ret)
		goto fail;
	return ss;
fail:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	statsock__free(ss);
	errno = -ret;
	return NULL;
}

void statsock__free(struct statsock *ss)
{
	if (!ss)
		return;
	/* An admin request waiting for the loop gives up at once. */
	pthread_mutex_lock(&ss->mb.lock);
	ss->mb.closing = true;
	pthread_cond_broadcast(&ss->mb.answered);
	pthread_mutex_unlock(&ss->mb.lock);
	if (ss->tcp_srv.mhd)
		MHD_stop_daemon(ss->tcp_srv.mhd);
	if (ss->unix_srv.mhd)
		MHD_stop_daemon(ss->unix_srv.mhd);
	listener_unix_remove(ss->path, ss->lock_fd);
	if (ss->mb.efd >= 0)
		close(ss->mb.efd);
	free(ss->mb.body);
	snapshot__put(ss->snap);
	pthread_cond_destroy(&ss->mb.answered);
	pthread_mutex_destroy(&ss->mb.lock);
	pthread_mutex_destroy(&ss->lock);
	free(ss);
}

void statsock__publish(struct statsock *ss, struct snapshot *snap)
{
	struct snapshot *old;

	if (!snap)
		return;
	pthread_mutex_lock(&ss->lock);
	old = ss->snap;
	ss->snap = snap;
	pthread_mutex_unlock(&ss->lock);
	snapshot__put(old);
}

int statsock__admin_fd(const struct statsock *ss)
{
	return ss->mb.efd;
}

int statsock__admin_take(struct statsock *ss, struct statsock_admin *req)
{
	struct statsock_mailbox *mb = &ss->mb;
	uint64_t n;
	int ret = 0;

	if (read(mb->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("statsock", HM_E_ADMIN_MAILBOX, LOG_FIELDS(LF_ERRNO(errno)),
			 "admin eventfd read failed: %s", strerror(errno));
	pthread_mutex_lock(&mb->lock);
	if (mb->pending_id) {
		*req = mb->req;
		mb->taken_id = mb->pending_id;
		mb->pending_id = 0;
		ret = 1;
	}
	pthread_mutex_unlock(&mb->lock);
	return ret;
}

void statsock__admin_answer(struct statsock *ss, unsigned int status, const char *body)
{
	struct statsock_mailbox *mb = &ss->mb;
	char *copy = strdup(body);

	if (!copy) {
		copy = strdup("{}");
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	pthread_mutex_lock(&mb->lock);
	free(mb->body);
	mb->body = copy;
	mb->status = status;
	mb->answer_id = mb->taken_id;
	pthread_cond_broadcast(&mb->answered);
	pthread_mutex_unlock(&mb->lock);
}
