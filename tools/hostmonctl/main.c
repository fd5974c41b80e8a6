/* hostmonctl: ask the local hostmond what is slow, failing or crashing, over its stats socket. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include "ctl.h"
#include "http.h"
#include "table.h"
#include "core/jsonget.h"

#define CTL_DEFAULT_SOCKET	"/run/hostmon/hostmon.sock"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostmonctl [--socket PATH] [--json] COMMAND [ARGS]\n"
		"Commands:\n"
		"  health                      agent state, probe families, drops\n"
		"  stats [--syscall NAME] [--top N]   the latest window, by syscall\n"
		"  metrics                     Prometheus text\n"
		"  events [--since SEQ] [--limit N] [--follow]   recent detail events\n"
		"  top [--once] [--workloads] [--refresh MS]   live table; w: syscalls or\n"
		"                              workloads, q quits\n"
		"  selftest                    make a slow syscall, a refused connect and a\n"
		"                              crash; check the agent saw each (exit 1 if not)\n"
		"  log-level LEVEL             set error|warn|info|debug (root)\n"
		"  reload                      re-read the configuration file (root)\n"
		"--json prints the agent's JSON bodies as they come. Default socket %s.\n",
		CTL_DEFAULT_SOCKET);
}

/* "agent said 400: message" from an error body, else the status alone. */
static void report_status(const char *path, const struct ctl_http_resp *r)
{
	struct json_object *body = json_tokener_parse(r->body), *err, *msg;

	if (body && json_object_object_get_ex(body, "error", &err) &&
	    json_object_object_get_ex(err, "message", &msg))
		fprintf(stderr, "hostmonctl: %s: %s (HTTP %ld)\n", path, json_object_get_string(msg),
			r->status);
	else
		fprintf(stderr, "hostmonctl: %s: HTTP %ld\n", path, r->status);
	json_object_put(body);
}

struct json_object *ctl_fetch(const struct ctl *c, const char *method, const char *path,
			      char **raw, bool quiet)
{
	struct ctl_http_resp r;
	struct json_object *body;
	char err[512];

	if (ctl_http_call(c->sock, method, path, &r, err, sizeof(err))) {
		fprintf(stderr, "hostmonctl: %s\n", err);
		return NULL;
	}
	if (r.status < 200 || r.status > 299) {
		if (!quiet)
			report_status(path, &r);
		free(r.body);
		return NULL;
	}
	if (raw) {
		*raw = r.body;
		return json_object_new_object();
	}
	body = json_tokener_parse(r.body);
	if (!body)
		fprintf(stderr, "hostmonctl: %s: the agent's answer is not JSON\n", path);
	free(r.body);
	return body;
}

/* Prints the raw body of path; the exit status. */
static int print_raw(const struct ctl *c, const char *method, const char *path)
{
	struct json_object *ok;
	char *raw = NULL;
	size_t n;

	ok = ctl_fetch(c, method, path, &raw, false);
	if (!ok)
		return 1;
	json_object_put(ok);
	n = strlen(raw);
	(void)fwrite(raw, 1, n, stdout); /* an error sticks to stdout: main checks it */
	if (n && raw[n - 1] != '\n')
		fputc('\n', stdout);
	free(raw);
	return 0;
}

static void print_probes(struct json_object *health)
{
	struct json_object *probes, *st, *err;

	if (!json_object_object_get_ex(health, "probes", &probes))
		return;
	json_object_object_foreach(probes, family, p) {
		json_object_object_get_ex(p, "state", &st);
		printf("probe %-10s %s", family, json_object_get_string(st));
		if (json_object_object_get_ex(p, "error", &err))
			printf(": %s", json_object_get_string(err));
		printf("\n");
	}
}

/* The Kafka sink's state, counts and last error, when the agent has one. */
static void print_kafka(struct json_object *health)
{
	struct json_object *k, *st, *err;

	if (!json_object_object_get_ex(health, "kafka", &k) ||
	    !json_object_object_get_ex(k, "state", &st))
		return;
	printf("kafka      %s: %llu delivered, %llu lost, %llu spooled", json_object_get_string(st),
	       (unsigned long long)jsonget_u64(k, "delivered"),
	       (unsigned long long)jsonget_u64(k, "lost"),
	       (unsigned long long)jsonget_u64(k, "spool_records"));
	if (json_object_object_get_ex(k, "last_error", &err) && *json_object_get_string(err))
		printf("; last error: %s", json_object_get_string(err));
	printf("\n");
}

static int cmd_health(const struct ctl *c)
{
	struct json_object *h, *cfg, *v;

	if (c->json)
		return print_raw(c, "GET", "/health");
	h = ctl_fetch(c, "GET", "/health", NULL, false);
	if (!h)
		return 1;
	ctl_table_status(stdout, h, NULL);
	if (json_object_object_get_ex(h, "reason", &v))
		printf("reason     %s\n", json_object_get_string(v));
	if (json_object_object_get_ex(h, "shed", &v) && strcmp(json_object_get_string(v), "none"))
		printf("shedding   %s events (brownout: over the CPU budget or memory bound, "
		       "or a ring buffer half full)\n", json_object_get_string(v));
	print_probes(h);
	print_kafka(h);
	if (json_object_object_get_ex(h, "config", &cfg))
		printf("config     %s\n", json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN |
					JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(h);
	return 0;
}

static int cmd_stats(const struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "syscall", required_argument, NULL, 's' },
		{ "top", required_argument, NULL, 't' },
		{ 0 },
	};
	struct json_object *h, *w;
	char path[160] = "/stats";
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (opt == '?')
			return 2;
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "%c%s=%s",
			 strchr(path, '?') ? '&' : '?', opt == 's' ? "syscall" : "top", optarg);
	}
	if (c->json)
		return print_raw(c, "GET", path);
	h = ctl_fetch(c, "GET", "/health", NULL, false);
	w = h ? ctl_fetch(c, "GET", path, NULL, false) : NULL;
	if (w) {
		ctl_table_status(stdout, h, w);
		ctl_table_syscalls(stdout, w, 1000);
	}
	json_object_put(h);
	json_object_put(w);
	return w ? 0 : 1;
}

/*
 * Prints the events of one /events answer, one JSON line each, and sets
 * *since to the last; with *since 0 (not given) the newest ones.
 */
static int events_once(const struct ctl *c, unsigned long long *since, unsigned int limit)
{
	struct json_object *body, *events, *next;
	char path[96];

	if (*since)
		snprintf(path, sizeof(path), "/events?since=%llu&limit=%u", *since, limit);
	else
		snprintf(path, sizeof(path), "/events?limit=%u", limit);
	body = ctl_fetch(c, "GET", path, NULL, false);
	if (!body)
		return 1;
	json_object_object_get_ex(body, "events", &events);
	for (size_t i = 0; i < json_object_array_length(events); i++)
		printf("%s\n", json_object_to_json_string_ext(json_object_array_get_idx(events, i),
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (json_object_object_get_ex(body, "next_since", &next))
		*since = json_object_get_uint64(next);
	json_object_put(body);
	return fflush(stdout) == EOF ? 1 : 0; /* main says why */
}

static int parse_ull(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return s[0] < '0' || s[0] > '9' || *end || errno || *out > max ? -1 : 0;
}

static int cmd_events(const struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "follow", no_argument, NULL, 'f' },
		{ 0 },
	};
	unsigned long long since = 0, limit = 1000;
	bool follow = false;
	char path[96];
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (opt == 'f')
			follow = true;
		else if (opt == '?' || parse_ull(optarg, opt == 'l' ? 1000 : INT64_MAX,
						 opt == 's' ? &since : &limit))
			return fprintf(stderr, "hostmonctl events: bad option\n"), 2;
	}
	if (c->json && !follow) {
		snprintf(path, sizeof(path), "/events?limit=%llu", limit);
		if (since)
			snprintf(path + strlen(path), sizeof(path) - strlen(path), "&since=%llu", since);
		return print_raw(c, "GET", path);
	}
	while (!(ret = events_once(c, &since, (unsigned int)limit)) && follow)
		poll(NULL, 0, 1000);
	return ret;
}

static int cmd_admin(const struct ctl *c, const char *cmd, int argc, char **argv)
{
	char path[96];

	if (!strcmp(cmd, "reload"))
		return print_raw(c, "POST", "/admin/reload");
	if (argc != 2) {
		fprintf(stderr, "hostmonctl: usage: log-level error|warn|info|debug\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/admin/log-level?level=%.32s", argv[1]);
	return print_raw(c, "POST", path);
}

static int run(const struct ctl *c, int argc, char **argv)
{
	const char *cmd = argv[0];

	if (!strcmp(cmd, "health"))
		return cmd_health(c);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(c, argc, argv);
	if (!strcmp(cmd, "metrics"))
		return print_raw(c, "GET", "/metrics");
	if (!strcmp(cmd, "events"))
		return cmd_events(c, argc, argv);
	if (!strcmp(cmd, "top"))
		return ctl_top(c, argc, argv);
	if (!strcmp(cmd, "selftest"))
		return ctl_selftest(c, argc, argv);
	if (!strcmp(cmd, "log-level") || !strcmp(cmd, "reload"))
		return cmd_admin(c, cmd, argc, argv);
	fprintf(stderr, "hostmonctl: unknown command '%s' (see --help)\n", cmd);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ctl c = { .sock = CTL_DEFAULT_SOCKET };
	int opt, ret;

	if (argc == 2 && !strcmp(argv[1], CTL_CANARY_ARG))
		ctl_canary_crash();

	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (opt == 's')
			c.sock = optarg;
		else if (opt == 'j')
			c.json = true;
		else
			return usage(opt == 'h' ? stdout : stderr), opt == 'h' ? 0 : 2;
	}
	if (optind >= argc)
		return usage(stderr), 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = run(&c, argc - optind, argv + optind);
	curl_global_cleanup();
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "hostmonctl: writing to stdout failed\n");
		ret = ret ? ret : 1;
	}
	return ret;
}
