/* hostmonctl top: a refreshing table of the agent's latest window and recent crashes; w toggles workloads, q quits. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "ctl.h"
#include "table.h"

#define TOP_CRASHES_KEPT	20

struct top {
	const struct ctl *ctl;
	struct json_object *crashes;	/* newest last */
	unsigned long long since;
	unsigned int refresh_ms;
	bool once;
	bool workloads;			/* the workloads table instead of the syscalls' */
	bool raw_tty;
	bool stdin_closed;
	struct termios saved;
};

static volatile sig_atomic_t top_stop;

static void on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

/* Appends the crash and OOM events after top->since to the list, keeping the newest. */
static int take_events(struct top *t)
{
	struct json_object *body, *events, *ev, *type, *next;
	char path[96];

	if (t->since)
		snprintf(path, sizeof(path), "/events?since=%llu&limit=1000", t->since);
	else
		snprintf(path, sizeof(path), "/events?limit=1000");
	body = ctl_fetch(t->ctl, "GET", path, NULL, false);
	if (!body)
		return -1;
	if (json_object_object_get_ex(body, "events", &events)) {
		for (size_t i = 0; i < json_object_array_length(events); i++) {
			ev = json_object_array_get_idx(events, i);
			json_object_object_get_ex(ev, "type", &type);
			if (strcmp(json_object_get_string(type), "process_crash") &&
			    strcmp(json_object_get_string(type), "oom_kill"))
				continue;
			json_object_array_add(t->crashes, json_object_get(ev));
		}
	}
	while (json_object_array_length(t->crashes) > TOP_CRASHES_KEPT)
		json_object_array_del_idx(t->crashes, 0, 1);
	if (json_object_object_get_ex(body, "next_since", &next))
		t->since = json_object_get_uint64(next);
	json_object_put(body);
	return 0;
}

static int screen_rows(void)
{
	struct winsize ws;

	return ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_row < 12 ? 24 : ws.ws_row;
}

/* One frame: status, syscalls, failing endpoints, crashes, split to fit the screen. */
static int draw(struct top *t)
{
	struct json_object *health, *window;
	int rows = screen_rows(), sc_rows = (rows - 10) * 3 / 5, ep_rows = 3;

	health = ctl_fetch(t->ctl, "GET", "/health", NULL, false);
	if (!health || take_events(t)) {
		json_object_put(health);
		return -1;
	}
	/* 503 before the first window: shown as such, not an error. */
	window = ctl_fetch(t->ctl, "GET", "/stats", NULL, true);
	if (!t->once)
		fputs("\033[H\033[2J", stdout);
	ctl_table_status(stdout, health, window);
	fputc('\n', stdout);
	if (t->workloads)
		ctl_table_workloads(stdout, window, sc_rows);
	else
		ctl_table_syscalls(stdout, window, sc_rows);
	fputc('\n', stdout);
	ctl_table_endpoints(stdout, window, ep_rows);
	fputc('\n', stdout);
	ctl_table_crashes(stdout, t->crashes, rows - 10 - sc_rows - ep_rows);
	if (!t->once)
		fputs(t->workloads ? "\nq: quit  w: syscalls" : "\nq: quit  w: workloads", stdout);
	json_object_put(health);
	json_object_put(window);
	return fflush(stdout) == EOF ? -EIO : 0;
}

static void tty_raw(struct top *t)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t->saved))
		return;
	raw = t->saved;
	raw.c_lflag &= ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	t->raw_tty = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

static void tty_restore(struct top *t)
{
	if (t->raw_tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
	if (!t->once)
		fputs("\n", stdout);
}

/* Waits up to the refresh period for a key: true when q was pressed; w toggles the view. */
static bool quit_pressed(struct top *t)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char ch;

	if (t->stdin_closed) {
		poll(NULL, 0, (int)t->refresh_ms);
		return false;
	}
	if (poll(&pfd, 1, (int)t->refresh_ms) <= 0)
		return false;
	if (read(STDIN_FILENO, &ch, 1) != 1) {
		t->stdin_closed = true;	/* no keyboard: refresh until a signal */
		return false;
	}
	if (ch == 'w' || ch == 'W')
		t->workloads = !t->workloads;
	return ch == 'q' || ch == 'Q';
}

static int parse_args(struct top *t, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "workloads", no_argument, NULL, 'w' },
		{ "refresh", required_argument, NULL, 'r' },
		{ 0 },
	};
	char *end;
	long ms;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (opt == 'o' || opt == 'w') {
			*(opt == 'o' ? &t->once : &t->workloads) = true;
			continue;
		}
		errno = 0;
		ms = opt == 'r' ? strtol(optarg, &end, 10) : -1;
		if (ms < 100 || ms > 60000 || errno || *end) {
			fprintf(stderr, "hostmonctl top: usage: top [--once] [--workloads] "
				"[--refresh MS (100..60000)]\n");
			return -1;
		}
		t->refresh_ms = (unsigned int)ms;
	}
	return 0;
}

int ctl_top(const struct ctl *c, int argc, char **argv)
{
	struct top t = { .ctl = c, .refresh_ms = 1000, .crashes = json_object_new_array() };
	struct sigaction sa = { .sa_handler = on_signal };
	int ret = 0;

	if (parse_args(&t, argc, argv))
		return 2;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!t.once)
		tty_raw(&t);
	while (!top_stop) {
		if (draw(&t)) {
			ret = 1;
			break;
		}
		if (t.once || quit_pressed(&t))
			break;
	}
	tty_restore(&t);
	json_object_put(t.crashes);
	return ret;
}
