/* Unit tests of agent/config/ (config.c, config_ini.c, config_flags.c, config_usage.c): defaults, the INI file, flags, and every kind of bad input. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "config/config.h"
#include "core/names.h"

#define ARGC(a)	((int)(sizeof(a) / sizeof((a)[0])) - 1)

static char tmpdir[] = "/tmp/test_config.XXXXXX";
static char path[256];
static char err[512];

static int group_setup(void **state)
{
	(void)state;
	umask(022);	/* write_ini's files are 0644 whatever the caller's umask */
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

/* Writes text to <tmpdir>/hostmon.ini; the test unlinks it with remove_ini(). */
static const char *write_ini(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/hostmon.ini", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void remove_ini(void)
{
	assert_int_equal(unlink(path), 0);
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected \"%s\" in message \"%s\"", needle, haystack);
}

/*
 * Loads text over defaults and asserts -EINVAL with a message naming the file,
 * the line and each of the given words (key, section, value); the config
 * stays usable, so a typo never quietly becomes a default.
 */
static void expect_file_error(const char *text, int line, ...)
{
	struct config cfg;
	char where[300];
	const char *word;
	va_list ap;
	int ret;

	config_defaults(&cfg);
	ret = config_load_file(&cfg, write_ini(text), err, sizeof(err));
	remove_ini();
	if (ret != -EINVAL)
		fail_msg("expected -EINVAL, got %d (message \"%s\")", ret, err);
	snprintf(where, sizeof(where), "%s:%d: ", path, line);
	assert_contains(err, where);
	va_start(ap, line);
	while ((word = va_arg(ap, const char *)) != NULL)
		assert_contains(err, word);
	va_end(ap);
}

static void load_ok(struct config *cfg, const char *text)
{
	int ret;

	config_defaults(cfg);
	ret = config_load_file(cfg, write_ini(text), err, sizeof(err));
	remove_ini();
	if (ret)
		fail_msg("expected 0, got %d: %s", ret, err);
}

static int parse_args(struct config *cfg, int argc, char **argv, bool *check, bool *version)
{
	config_defaults(cfg);
	err[0] = '\0';
	return config_parse_args(cfg, argc, argv, check, version, err, sizeof(err));
}

/* --- defaults ------------------------------------------------------------- */

static void test_defaults_match_the_documented_values(void **state)
{
	struct config cfg;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	config_defaults(&cfg);
	assert_int_equal(cfg.interval_s, 10);
	assert_string_equal(cfg.output, "jsonl:-");
	assert_string_equal(cfg.socket_path, "/run/hostmon/hostmon.sock");
	assert_string_equal(cfg.spool_dir, "/var/lib/hostmon/spool");
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	assert_string_equal(cfg.host_id, "");
	assert_int_equal(cfg.ringbuf_bytes, 262144);
	assert_int_equal(cfg.pid_cache_size, 4096);
	assert_int_equal(cfg.max_rss_mb, 64);
	assert_int_equal(cfg.ring_flush_ms, 100);
	assert_false(cfg.trace_self);
	assert_string_equal(cfg.kafka_brokers, "");
	assert_string_equal(cfg.kafka_topic, "hostmon.events");
	assert_true(cfg.syscalls_enabled);
	assert_string_equal(cfg.syscalls_include, "");
	assert_string_equal(cfg.syscalls_exclude, "");
	assert_string_equal(cfg.syscalls_blocking,
			    "futex,futex_waitv,epoll_wait,epoll_pwait,epoll_pwait2,poll,ppoll,"
			    "select,pselect6,nanosleep,clock_nanosleep,wait4,waitid,pause,"
			    "rt_sigsuspend,rt_sigtimedwait,accept,accept4,io_getevents,"
			    "io_pgetevents,io_uring_enter,msgrcv,semtimedop,semop,"
			    "mq_timedreceive,sched_yield");
	assert_int_equal(cfg.slow_threshold_us, 10000);
	assert_true(cfg.slow_events);
	assert_true(cfg.proc_enabled);
	assert_true(cfg.net_enabled);
	assert_int_equal(cfg.net_events_per_sec, 1000);
	assert_int_equal(cfg.net_top_endpoints, 20);
	assert_int_equal(cfg.net_endpoint_entries, 16384);
	assert_int_equal(cfg.net_sock_entries, 65536);
}

static void test_default_blocking_names_are_all_known_syscalls(void **state)
{
	struct config cfg;
	char *name, *rest;
	int n = 0;

	(void)state;
	config_defaults(&cfg);
	rest = cfg.syscalls_blocking;
	while ((name = strsep(&rest, ",")) != NULL) {
		if (names_syscall_nr(name) < 0)
			fail_msg("default blocking syscall '%s' is not in the syscall table", name);
		n++;
	}
	assert_int_equal(n, 26);
}

static void test_log_level_names_round_trip(void **state)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	struct config cfg;

	(void)state;
	config_defaults(&cfg);
	for (int i = LOG_LEVEL_ERROR; i <= LOG_LEVEL_DEBUG; i++) {
		assert_string_equal(log_level_name(i), names[i]);
		assert_int_equal(config_set(&cfg, "agent", "log_level", names[i], err,
					    sizeof(err)), 0);
		assert_int_equal(cfg.log_level, i);
	}
}

/* --- valid files -------------------------------------------------------------- */

static void test_full_file_sets_every_key(void **state)
{
	struct config cfg;

	(void)state;
	load_ok(&cfg,
		"; every key, none at its default\n"
		"[agent]\n"
		"interval = 30\n"
		"output = jsonl:/var/log/hostmon.jsonl\n"
		"socket = /tmp/h.sock\n"
		"spool_dir = /tmp/spool\n"
		"log_level = debug\n"
		"host_id = web-01\n"
		"ringbuf_size = 1048576\n"
		"[kafka]\n"
		"brokers = k1:9092,k2:9092\n"
		"topic = ops.events\n"
		"[syscalls]\n"
		"enabled = no\n"
		"include = read , write,openat\n"
		"exclude = getpid\n"
		"blocking = futex, poll\n"
		"slow_threshold_us = 0\n"
		"slow_events = off\n"
		"# last section\n"
		"[proc]\n"
		"enabled = 0\n");
	assert_int_equal(cfg.interval_s, 30);
	assert_string_equal(cfg.output, "jsonl:/var/log/hostmon.jsonl");
	assert_string_equal(cfg.socket_path, "/tmp/h.sock");
	assert_string_equal(cfg.spool_dir, "/tmp/spool");
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(cfg.host_id, "web-01");
	assert_int_equal(cfg.ringbuf_bytes, 1048576);
	assert_string_equal(cfg.kafka_brokers, "k1:9092,k2:9092");
	assert_string_equal(cfg.kafka_topic, "ops.events");
	assert_false(cfg.syscalls_enabled);
	assert_string_equal(cfg.syscalls_include, "read,write,openat");
	assert_string_equal(cfg.syscalls_exclude, "getpid");
	assert_string_equal(cfg.syscalls_blocking, "futex,poll");
	assert_int_equal(cfg.slow_threshold_us, 0);
	assert_false(cfg.slow_events);
	assert_false(cfg.proc_enabled);
}

static void test_file_leaves_unset_keys_alone_and_takes_range_edges(void **state)
{
	struct config cfg;

	(void)state;
	load_ok(&cfg, "[agent]\ninterval = 3600\nringbuf_size = 4096\nring_flush_ms = 0\n"
		"[syscalls]\nslow_threshold_us = 60000000\nslow_events = yes\n");
	assert_int_equal(cfg.interval_s, 3600);
	assert_int_equal(cfg.ring_flush_ms, 0);
	assert_int_equal(cfg.ringbuf_bytes, 4096);
	assert_int_equal(cfg.slow_threshold_us, 60000000);
	assert_true(cfg.slow_events);
	assert_string_equal(cfg.output, "jsonl:-");
	assert_string_equal(cfg.kafka_topic, "hostmon.events");
	load_ok(&cfg, "[agent]\nring_flush_ms = 1000\n");
	assert_int_equal(cfg.ring_flush_ms, 1000);
}

/* --- flags ---------------------------------------------------------------- */

static void test_flags_override_file_even_when_config_comes_after_them(void **state)
{
	struct config cfg;
	bool check, version;
	char *argv[] = { "hostmond", "--interval", "30", "--log-level", "debug",
			 "--config", path, NULL };

	(void)state;
	write_ini("[agent]\ninterval = 20\nlog_level = warn\nhost_id = from-file\n");
	assert_int_equal(parse_args(&cfg, ARGC(argv), argv, &check, &version), 0);
	remove_ini();
	assert_int_equal(cfg.interval_s, 30);
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(cfg.host_id, "from-file");
	assert_false(check);
	assert_false(version);
}

static void test_every_value_flag_sets_its_key(void **state)
{
	struct config cfg;
	bool check, version;
	char *argv[] = { "hostmond", "--output", "jsonl:/tmp/out", "--socket", "/tmp/s.sock",
			 "--kafka-brokers", "b:9092", "--kafka-topic", "t1",
			 "--spool-dir", "/tmp/sp", "--interval=5", NULL };

	(void)state;
	assert_int_equal(parse_args(&cfg, ARGC(argv), argv, &check, &version), 0);
	assert_string_equal(cfg.output, "jsonl:/tmp/out");
	assert_string_equal(cfg.socket_path, "/tmp/s.sock");
	assert_string_equal(cfg.kafka_brokers, "b:9092");
	assert_string_equal(cfg.kafka_topic, "t1");
	assert_string_equal(cfg.spool_dir, "/tmp/sp");
	assert_int_equal(cfg.interval_s, 5);
}

static void test_set_flag_sets_keys_without_their_own_flag(void **state)
{
	struct config cfg;
	bool check, version;
	char *argv[] = { "hostmond", "--set", "syscalls.include=read, write",
			 "--set", "agent.ringbuf_size=8192", "--set", "proc.enabled=no",
			 "--set", "agent.host_id=", "--set", "agent.interval=7", NULL };

	(void)state;
	assert_int_equal(parse_args(&cfg, ARGC(argv), argv, &check, &version), 0);
	assert_string_equal(cfg.syscalls_include, "read,write");
	assert_int_equal(cfg.ringbuf_bytes, 8192);
	assert_false(cfg.proc_enabled);
	assert_string_equal(cfg.host_id, "");
	assert_int_equal(cfg.interval_s, 7);
}

static void test_set_flag_rejects_unknown_key_and_bad_value(void **state)
{
	struct config cfg;
	bool check, version;
	char *typo[] = { "hostmond", "--set", "agent.intervall=5", NULL };
	char *bad[] = { "hostmond", "--set", "syscalls.slow_events=maybe", NULL };
	char *shape[] = { "hostmond", "--set", "interval=5", NULL };

	(void)state;
	assert_int_equal(parse_args(&cfg, ARGC(typo), typo, &check, &version), -EINVAL);
	assert_contains(err, "--set");
	assert_contains(err, "intervall");
	assert_int_equal(parse_args(&cfg, ARGC(bad), bad, &check, &version), -EINVAL);
	assert_contains(err, "[syscalls] slow_events");
	assert_contains(err, "'maybe'");
	assert_int_equal(parse_args(&cfg, ARGC(shape), shape, &check, &version), -EINVAL);
	assert_contains(err, "SECTION.KEY=VALUE");
}

static void test_bad_flag_value_names_the_flag_and_key(void **state)
{
	struct config cfg;
	bool check, version;
	char *argv[] = { "hostmond", "--interval", "0", NULL };

	(void)state;
	assert_int_equal(parse_args(&cfg, ARGC(argv), argv, &check, &version), -EINVAL);
	assert_contains(err, "--interval");
	assert_contains(err, "[agent] interval");
	assert_contains(err, "'0'");
}

static void test_check_config_and_version_set_their_outputs(void **state)
{
	struct config cfg;
	bool check = false, version = false;
	char *both[] = { "hostmond", "--check-config", "--version", NULL };
	char *none[] = { "hostmond", NULL };

	(void)state;
	assert_int_equal(parse_args(&cfg, ARGC(both), both, &check, &version), 0);
	assert_true(check);
	assert_true(version);
	assert_int_equal(parse_args(&cfg, ARGC(none), none, &check, &version), 0);
	assert_false(check);
	assert_false(version);
}

static void test_help_prints_usage_to_stdout_and_returns_1(void **state)
{
	struct config cfg;
	bool check, version;
	char *argv[] = { "hostmond", "--help", NULL };
	char out[8192] = "";
	FILE *f;
	int saved, ret;

	(void)state;
	snprintf(path, sizeof(path), "%s/usage.txt", tmpdir);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_non_null(freopen(path, "w", stdout));
	ret = parse_args(&cfg, ARGC(argv), argv, &check, &version);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(out, 1, sizeof(out) - 1, f) > 0);
	fclose(f);
	remove_ini();
	assert_int_equal(ret, 1);
	assert_contains(out, "--interval SECONDS");
	assert_contains(out, "--set SECTION.KEY=VALUE");
	assert_contains(out, "syscalls.slow_events = true");
}

static void test_unknown_flag_is_einval_naming_it(void **state)
{
	struct config cfg;
	bool check, version;
	char *lng[] = { "hostmond", "--intervall", "5", NULL };
	char *shrt[] = { "hostmond", "-x", NULL };

	(void)state;
	assert_int_equal(parse_args(&cfg, ARGC(lng), lng, &check, &version), -EINVAL);
	assert_contains(err, "'--intervall'");
	assert_int_equal(parse_args(&cfg, ARGC(shrt), shrt, &check, &version), -EINVAL);
	assert_contains(err, "'-x'");
}

static void test_flag_without_argument_is_einval_naming_it(void **state)
{
	struct config cfg;
	bool check, version;
	char *argv[] = { "hostmond", "--check-config", "--kafka-topic", NULL };

	(void)state;
	assert_int_equal(parse_args(&cfg, ARGC(argv), argv, &check, &version), -EINVAL);
	assert_contains(err, "'--kafka-topic' needs an argument");
}

static void test_stray_positional_argument_is_einval_naming_it(void **state)
{
	struct config cfg;
	bool check, version;
	char *argv[] = { "hostmond", "--interval", "5", "extra", "--check-config", NULL };

	(void)state;
	assert_int_equal(parse_args(&cfg, ARGC(argv), argv, &check, &version), -EINVAL);
	assert_contains(err, "'extra'");
}

static void test_bad_config_file_from_flags_names_file_and_line(void **state)
{
	struct config cfg;
	bool check, version;
	char *argv[] = { "hostmond", "--check-config", "--config", path, NULL };
	char where[300];

	(void)state;
	write_ini("[agent]\n\ninterval = soon\n");
	assert_int_equal(parse_args(&cfg, ARGC(argv), argv, &check, &version), -EINVAL);
	remove_ini();
	snprintf(where, sizeof(where), "%s:3: [agent] interval: 'soon'", path);
	assert_contains(err, where);
}

static void test_flag_list_sharing_a_name_with_file_list_is_einval(void **state)
{
	struct config cfg;
	bool check, version;
	char *argv[] = { "hostmond", "--set", "syscalls.include=read", "--config", path, NULL };

	(void)state;
	write_ini("[syscalls]\nexclude = write, read\n");
	assert_int_equal(parse_args(&cfg, ARGC(argv), argv, &check, &version), -EINVAL);
	remove_ini();
	assert_contains(err, "--set: [syscalls] include: 'read' shares 'read' with [syscalls] exclude");
}

/* --- config_set ----------------------------------------------------------- */

static void test_config_set_unknown_key_is_enoent(void **state)
{
	struct config cfg;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "agent", "intervall", "5", err, sizeof(err)), -ENOENT);
	assert_contains(err, "[agent] intervall: unknown key");
	assert_int_equal(config_set(&cfg, "agnet", "interval", "5", err, sizeof(err)), -ENOENT);
	assert_contains(err, "[agnet] interval: unknown section");
	assert_int_equal(cfg.interval_s, 10);
}

static void test_config_set_keeps_old_value_on_error(void **state)
{
	struct config cfg;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "syscalls", "include", "read,nope", err,
				    sizeof(err)), -EINVAL);
	assert_string_equal(cfg.syscalls_include, "");
	assert_int_equal(config_set(&cfg, "agent", "interval", "99999", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(cfg.interval_s, 10);
}

/* --- malformed files: each names file:line and the key or section --------- */

static void test_file_unknown_section(void **state)
{
	(void)state;
	expect_file_error("[agent]\ninterval = 5\n[agnet]\nsocket = /x\n", 4,
			  "[agnet] socket", "unknown section", NULL);
}

static void test_file_unknown_key_typo_is_not_a_default(void **state)
{
	(void)state;
	expect_file_error("[agent]\nintervall = 5\n", 2, "[agent] intervall", "unknown key",
			  NULL);
}

static void test_file_key_before_any_section(void **state)
{
	(void)state;
	expect_file_error("; comment\ninterval = 5\n", 2, "interval", "outside any [section]",
			  NULL);
}

static void test_file_non_integer(void **state)
{
	(void)state;
	expect_file_error("[agent]\ninterval = abc\n", 2, "[agent] interval", "'abc'",
			  "1..3600", NULL);
}

static void test_file_integer_below_range(void **state)
{
	(void)state;
	expect_file_error("[agent]\n\ninterval = 0\n", 3, "[agent] interval", "'0'", NULL);
}

static void test_file_integer_above_range(void **state)
{
	(void)state;
	expect_file_error("[agent]\ninterval = 3601\n", 2, "[agent] interval", "'3601'", NULL);
}

static void test_file_ring_flush_ms_above_range(void **state)
{
	(void)state;
	expect_file_error("[agent]\nring_flush_ms = 1001\n", 2, "[agent] ring_flush_ms", "'1001'",
			  NULL);
}

static void test_file_slow_threshold_above_range(void **state)
{
	(void)state;
	expect_file_error("[syscalls]\nslow_threshold_us = 60000001\n", 2,
			  "[syscalls] slow_threshold_us", "'60000001'", "0..60000000", NULL);
}

static void test_file_net_endpoint_entries_below_range(void **state)
{
	(void)state;
	expect_file_error("[net]\nendpoint_entries = 63\n", 2,
			  "[net] endpoint_entries", "'63'", "64..4194304", NULL);
}

static void test_file_net_keys(void **state)
{
	struct config cfg;

	(void)state;
	load_ok(&cfg, "[net]\nenabled = no\nevents_per_sec = 0\ntop_endpoints = 5\n"
		"sock_entries = 64\n");
	assert_false(cfg.net_enabled);
	assert_int_equal(cfg.net_events_per_sec, 0);
	assert_int_equal(cfg.net_top_endpoints, 5);
	assert_int_equal(cfg.net_sock_entries, 64);
}

/* Off by default; on from the file or --set, a value that is no boolean names the key. */
static void test_agent_trace_self_is_a_boolean_key(void **state)
{
	struct config cfg;
	bool check, version;
	char *on[] = { "hostmond", "--set", "agent.trace_self=true", NULL };
	char *bad[] = { "hostmond", "--set", "agent.trace_self=2", NULL };

	(void)state;
	load_ok(&cfg, "[agent]\ntrace_self = yes\n");
	assert_true(cfg.trace_self);
	load_ok(&cfg, "[agent]\ntrace_self = off\n");
	assert_false(cfg.trace_self);
	assert_int_equal(parse_args(&cfg, ARGC(on), on, &check, &version), 0);
	assert_true(cfg.trace_self);
	assert_int_equal(parse_args(&cfg, ARGC(bad), bad, &check, &version), -EINVAL);
	assert_contains(err, "--set");
	assert_contains(err, "[agent] trace_self");
	assert_contains(err, "'2'");
	expect_file_error("[agent]\ninterval = 5\ntrace_self = self\n", 3, "[agent] trace_self",
			  "'self'", "is not a boolean", NULL);
}

static void test_file_negative_integer(void **state)
{
	(void)state;
	expect_file_error("[syscalls]\nslow_threshold_us = -1\n", 2,
			  "[syscalls] slow_threshold_us", "'-1'", NULL);
}

static void test_file_integer_with_trailing_garbage(void **state)
{
	(void)state;
	expect_file_error("[agent]\ninterval = 10s\n", 2, "[agent] interval", "'10s'", NULL);
}

static void test_file_integer_overflowing_64_bits(void **state)
{
	(void)state;
	expect_file_error("[syscalls]\nslow_threshold_us = 99999999999999999999999\n", 2,
			  "[syscalls] slow_threshold_us", NULL);
}

static void test_file_bad_boolean(void **state)
{
	(void)state;
	expect_file_error("[proc]\nenabled = maybe\n", 2, "[proc] enabled", "'maybe'", NULL);
}

static void test_file_bad_log_level(void **state)
{
	(void)state;
	expect_file_error("[agent]\nlog_level = verbose\n", 2, "[agent] log_level",
			  "'verbose'", NULL);
}

static void test_file_bad_output_spec(void **state)
{
	(void)state;
	expect_file_error("[agent]\noutput = json:-\n", 2, "[agent] output", "'json:-'", NULL);
}

static void test_file_output_with_empty_path(void **state)
{
	(void)state;
	expect_file_error("[agent]\noutput = jsonl:\n", 2, "[agent] output", "'jsonl:'", NULL);
}

static void test_file_unknown_syscall_in_include(void **state)
{
	(void)state;
	expect_file_error("[syscalls]\ninclude = read, notasyscall\n", 2,
			  "[syscalls] include", "'notasyscall'", NULL);
}

static void test_file_empty_name_in_syscall_list(void **state)
{
	(void)state;
	expect_file_error("[syscalls]\nexclude = read,,write\n", 2, "[syscalls] exclude",
			  "empty syscall name", NULL);
}

static void test_file_same_syscall_in_include_and_exclude(void **state)
{
	(void)state;
	expect_file_error("[syscalls]\ninclude = read,write\nexclude = openat, write\n", 3,
			  "[syscalls] exclude", "'write'", "[syscalls] include", NULL);
}

static void test_file_duplicate_key(void **state)
{
	(void)state;
	expect_file_error("[agent]\ninterval = 5\nsocket = /a\ninterval = 5\n", 4,
			  "[agent] interval", "duplicate", "line 2", NULL);
}

static void test_file_line_without_equals(void **state)
{
	(void)state;
	expect_file_error("[agent]\ninterval = 5\nsocket /tmp/x\n", 3, "'socket /tmp/x'", NULL);
}

static void test_file_line_with_colon_instead_of_equals(void **state)
{
	(void)state;
	expect_file_error("[agent]\ninterval: 5\n", 2, "'interval: 5'", "key = value", NULL);
}

static void test_file_overlong_string_is_not_truncated(void **state)
{
	char text[400];

	(void)state;
	snprintf(text, sizeof(text), "[agent]\nsocket = /%0300d\n", 0);
	expect_file_error(text, 2, "[agent] socket", "longer than the 255 allowed", NULL);
}

static void test_file_overlong_line(void **state)
{
	static char text[6000];

	(void)state;
	snprintf(text, sizeof(text), "[agent]\nhost_id = %05000d\n", 0);
	expect_file_error(text, 2, "line longer than", NULL);
}

static void test_file_ringbuf_size_not_power_of_two(void **state)
{
	(void)state;
	expect_file_error("[agent]\nringbuf_size = 5000\n", 2, "[agent] ringbuf_size", "'5000'",
			  "power of two", NULL);
}

static void test_file_ringbuf_size_power_of_two_below_range(void **state)
{
	(void)state;
	expect_file_error("[agent]\nringbuf_size = 2048\n", 2, "[agent] ringbuf_size", "'2048'",
			  NULL);
}

static void test_file_pid_cache_size_and_max_rss_mb_range_checked(void **state)
{
	(void)state;
	expect_file_error("[agent]\ninterval = 5\npid_cache_size = 63\n", 3, "[agent] pid_cache_size",
			  "'63'", "64..1048576", NULL);
	expect_file_error("[agent]\nmax_rss_mb = 0\n", 2, "[agent] max_rss_mb", "'0'", "1..1048576",
			  NULL);
	expect_file_error("[agent]\nmax_rss_mb = 64M\n", 2, "[agent] max_rss_mb", "'64M'",
			  "an integer", NULL);
}

static void test_file_empty_required_string(void **state)
{
	(void)state;
	expect_file_error("[kafka]\ntopic =\n", 2, "[kafka] topic", "empty", NULL);
}

static void test_file_missing_is_enoent_naming_path(void **state)
{
	struct config cfg;
	char missing[300];

	(void)state;
	snprintf(missing, sizeof(missing), "%s/absent.ini", tmpdir);
	config_defaults(&cfg);
	assert_int_equal(config_load_file(&cfg, missing, err, sizeof(err)), -ENOENT);
	assert_contains(err, missing);
}

/* A valid file with the given mode: refused with -EPERM naming the path, the mode and who. */
static void expect_mode_refused(mode_t mode, const char *who, const char *mode_text)
{
	struct config cfg;
	int ret;

	config_defaults(&cfg);
	assert_int_equal(chmod(write_ini("[agent]\ninterval = 7\n"), mode), 0);
	ret = config_load_file(&cfg, path, err, sizeof(err));
	remove_ini();
	if (ret != -EPERM)
		fail_msg("mode %04o: expected -EPERM, got %d (message \"%s\")", mode, ret, err);
	assert_contains(err, path);
	assert_contains(err, who);
	assert_contains(err, mode_text);
	assert_int_equal(cfg.interval_s, 10);	/* nothing of the file applied */
}

static void test_file_writable_by_group_or_others_is_refused(void **state)
{
	struct config cfg;

	(void)state;
	expect_mode_refused(0664, "its group", "0664");
	expect_mode_refused(0666, "others", "0666");
	expect_mode_refused(0602, "others", "0602");
	/* Read-only for others, and owner-only, are fine. */
	config_defaults(&cfg);
	assert_int_equal(chmod(write_ini("[agent]\ninterval = 7\n"), 0644), 0);
	assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)), 0);
	remove_ini();
	assert_int_equal(cfg.interval_s, 7);
}

static void test_file_that_is_a_directory_is_eisdir_naming_path(void **state)
{
	struct config cfg;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(config_load_file(&cfg, tmpdir, err, sizeof(err)), -EISDIR);
	assert_contains(err, tmpdir);
}

/* Like expect_file_error, for text of n bytes that may hold NULs. */
static void expect_bytes_error(const char *text, size_t n, int line, const char *what)
{
	struct config cfg;
	char where[400];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/hostmon.ini", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	config_defaults(&cfg);
	ret = config_load_file(&cfg, path, err, sizeof(err));
	remove_ini();
	if (ret != -EINVAL)
		fail_msg("expected -EINVAL, got %d (message \"%s\")", ret, err);
	snprintf(where, sizeof(where), "%s:%d: %s", path, line, what);
	assert_contains(err, where);
}

#define BYTES_ERROR(lit, line, what)	expect_bytes_error(lit, sizeof(lit) - 1, line, what)

static void test_file_nul_byte_is_refused_naming_line_and_column(void **state)
{
	(void)state;
	/* libinih alone would read "interval = 5" and stop at the NUL. */
	BYTES_ERROR("[agent]\ninterval = 5\0garbage\n", 2, "NUL byte at column 13");
	BYTES_ERROR("[agent]\n\0\0\0\0\n", 2, "NUL byte at column 1");
	/* Even in a comment, and on a last line without a newline. */
	BYTES_ERROR("[agent]\n# x\0", 2, "NUL byte at column 4");
}

static void test_file_control_characters_are_refused(void **state)
{
	(void)state;
	BYTES_ERROR("[agent]\ninterval = 5\x1b[0m\n", 2, "control character 0x1b at column 13");
	BYTES_ERROR("[agent]\n# \x01\n", 2, "control character 0x01 at column 3");
	BYTES_ERROR("\x7f" "ELF\n", 1, "control character 0x7f at column 1");
}

static void test_file_invalid_utf8_is_refused(void **state)
{
	(void)state;
	BYTES_ERROR("[agent]\n# caf\xe9\n", 2, "invalid UTF-8 byte 0xe9 at column 6");
	BYTES_ERROR("[agent]\nhost_id = \x80x\n", 2, "invalid UTF-8 byte 0x80 at column 11");
	/* Overlong '/', a UTF-16 surrogate, past U+10FFFF, cut short by the end of the file. */
	BYTES_ERROR("[agent]\nsocket = \xc0\xaf\n", 2, "invalid UTF-8 byte 0xc0 at column 10");
	BYTES_ERROR("[agent]\n#\xed\xa0\x80\n", 2, "invalid UTF-8 byte 0xed at column 2");
	BYTES_ERROR("[agent]\n#\xf4\x90\x80\x80\n", 2, "invalid UTF-8 byte 0xf4 at column 2");
	BYTES_ERROR("[agent]\n#\xe2\x82", 2, "invalid UTF-8 byte 0xe2 at column 2");
}

/* A binary file is refused for its bytes, not for its first overlong "line". */
static void test_file_binary_blob_is_refused_for_its_bytes(void **state)
{
	static char blob[8192];

	(void)state;
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (char)('a' + i % 26);
	blob[3000] = '\0';
	expect_bytes_error(blob, sizeof(blob), 1, "NUL byte at column 3001");
}

static void test_file_text_with_tabs_crlf_and_utf8_is_accepted(void **state)
{
	struct config cfg;

	(void)state;
	load_ok(&cfg, "\xef\xbb\xbf[agent]\r\n# caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9d\r\n"
		      "interval\t=\t7\r\n");
	assert_int_equal(cfg.interval_s, 7);
}

/* The stream entry point (the fuzz target's) reports like the file one, under the given name. */
static void test_stream_names_the_given_name_and_line(void **state)
{
	static const char text[] = "[agent]\ninterval = 5\n[kafka]\ntopic = t\nbogus = 1\n";
	struct config cfg;
	FILE *f;

	(void)state;
	config_defaults(&cfg);
	f = fmemopen((void *)text, sizeof(text) - 1, "r");
	assert_non_null(f);
	assert_int_equal(config_load_stream(&cfg, f, "<mem>", err, sizeof(err)), -EINVAL);
	fclose(f);
	assert_contains(err, "<mem>:5: [kafka] bogus: unknown key");
	assert_int_equal(cfg.interval_s, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_match_the_documented_values),
		cmocka_unit_test(test_default_blocking_names_are_all_known_syscalls),
		cmocka_unit_test(test_log_level_names_round_trip),
		cmocka_unit_test(test_full_file_sets_every_key),
		cmocka_unit_test(test_file_leaves_unset_keys_alone_and_takes_range_edges),
		cmocka_unit_test(test_flags_override_file_even_when_config_comes_after_them),
		cmocka_unit_test(test_every_value_flag_sets_its_key),
		cmocka_unit_test(test_set_flag_sets_keys_without_their_own_flag),
		cmocka_unit_test(test_set_flag_rejects_unknown_key_and_bad_value),
		cmocka_unit_test(test_bad_flag_value_names_the_flag_and_key),
		cmocka_unit_test(test_check_config_and_version_set_their_outputs),
		cmocka_unit_test(test_help_prints_usage_to_stdout_and_returns_1),
		cmocka_unit_test(test_unknown_flag_is_einval_naming_it),
		cmocka_unit_test(test_flag_without_argument_is_einval_naming_it),
		cmocka_unit_test(test_stray_positional_argument_is_einval_naming_it),
		cmocka_unit_test(test_bad_config_file_from_flags_names_file_and_line),
		cmocka_unit_test(test_flag_list_sharing_a_name_with_file_list_is_einval),
		cmocka_unit_test(test_config_set_unknown_key_is_enoent),
		cmocka_unit_test(test_config_set_keeps_old_value_on_error),
		cmocka_unit_test(test_file_unknown_section),
		cmocka_unit_test(test_file_unknown_key_typo_is_not_a_default),
		cmocka_unit_test(test_file_key_before_any_section),
		cmocka_unit_test(test_file_non_integer),
		cmocka_unit_test(test_file_integer_below_range),
		cmocka_unit_test(test_file_integer_above_range),
		cmocka_unit_test(test_file_ring_flush_ms_above_range),
		cmocka_unit_test(test_file_slow_threshold_above_range),
		cmocka_unit_test(test_file_net_endpoint_entries_below_range),
		cmocka_unit_test(test_file_net_keys),
		cmocka_unit_test(test_agent_trace_self_is_a_boolean_key),
		cmocka_unit_test(test_file_negative_integer),
		cmocka_unit_test(test_file_integer_with_trailing_garbage),
		cmocka_unit_test(test_file_integer_overflowing_64_bits),
		cmocka_unit_test(test_file_bad_boolean),
		cmocka_unit_test(test_file_bad_log_level),
		cmocka_unit_test(test_file_bad_output_spec),
		cmocka_unit_test(test_file_output_with_empty_path),
		cmocka_unit_test(test_file_unknown_syscall_in_include),
		cmocka_unit_test(test_file_empty_name_in_syscall_list),
		cmocka_unit_test(test_file_same_syscall_in_include_and_exclude),
		cmocka_unit_test(test_file_duplicate_key),
		cmocka_unit_test(test_file_line_without_equals),
		cmocka_unit_test(test_file_line_with_colon_instead_of_equals),
		cmocka_unit_test(test_file_overlong_string_is_not_truncated),
		cmocka_unit_test(test_file_overlong_line),
		cmocka_unit_test(test_file_ringbuf_size_not_power_of_two),
		cmocka_unit_test(test_file_pid_cache_size_and_max_rss_mb_range_checked),
		cmocka_unit_test(test_file_ringbuf_size_power_of_two_below_range),
		cmocka_unit_test(test_file_empty_required_string),
		cmocka_unit_test(test_file_missing_is_enoent_naming_path),
		cmocka_unit_test(test_file_that_is_a_directory_is_eisdir_naming_path),
		cmocka_unit_test(test_file_writable_by_group_or_others_is_refused),
		cmocka_unit_test(test_file_nul_byte_is_refused_naming_line_and_column),
		cmocka_unit_test(test_file_control_characters_are_refused),
		cmocka_unit_test(test_file_invalid_utf8_is_refused),
		cmocka_unit_test(test_file_binary_blob_is_refused_for_its_bytes),
		cmocka_unit_test(test_file_text_with_tabs_crlf_and_utf8_is_accepted),
		cmocka_unit_test(test_stream_names_the_given_name_and_line),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
