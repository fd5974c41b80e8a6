/* Prometheus text: the builder's escaping and numbers, and hostmon's exposition of windows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "serve/exposition.h"
#include "serve/prom.h"
#include "record/hist.h"

static void contains(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("expected the line\n%s\nin\n%s", line, text);
}

static void lacks(const char *text, const char *part)
{
	if (strstr(text, part))
		fail_msg("did not expect '%s' in\n%s", part, text);
}

static void seconds_exact(void **state)
{
	static const struct { uint64_t ns; const char *s; } cases[] = {
		{ 0, "0" }, { 1, "0.000000001" }, { 1500, "0.0000015" }, { 1000000000, "1" },
		{ 2500000000ULL, "2.5" }, { 18446744073709551615ULL, "18446744073.709551615" },
	};
	char out[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		prom_seconds(out, sizeof(out), cases[i].ns);
		assert_string_equal(out, cases[i].s);
	}
}

static void families_labels_escaping(void **state)
{
	struct prom p;
	size_t len;
	char *text;

	(void)state;
	prom_init(&p);
	prom_family(&p, "hostmon_x_total", "counter", "Things.");
	prom_u64(&p, "hostmon_x_total", 18446744073709551615ULL, NULL);
	prom_u64(&p, "hostmon_x_total", 7, "a", "q\"uo\\te\nnl", "b", "", NULL);
	prom_sec(&p, "hostmon_y_seconds", 1500, "syscall", "read", NULL);
	text = prom_take(&p, &len);
	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	assert_string_equal(text,
		"# HELP hostmon_x_total Things.\n"
		"# TYPE hostmon_x_total counter\n"
		"hostmon_x_total 18446744073709551615\n"
		"hostmon_x_total{a=\"q\\\"uo\\\\te\\nnl\",b=\"\"} 7\n"
		"hostmon_y_seconds{syscall=\"read\"} 0.0000015\n");
	free(text);
}

static void grows_past_first_buffer(void **state)
{
	struct prom p;
	size_t len;
	char *text;

	(void)state;
	prom_init(&p);
	for (int i = 0; i < 5000; i++)
		prom_u64(&p, "hostmon_many_total", (uint64_t)i, "i", "x", NULL);
	text = prom_take(&p, &len);
	assert_non_null(text);
	assert_int_equal(len, 5000 * strlen("hostmon_many_total{i=\"x\"} ") + 10 * 1 +
			 90 * 2 + 900 * 3 + 4000 * 4 + 5000);
	free(text);
}

/* A metrics record as syscalls.c and proc.c write it, for one syscall. */
static struct json_object *window(const char *name, uint64_t calls, uint64_t p99_ns,
				  unsigned int bucket, const char *signal)
{
	char text[1024], buckets[256] = "";
	size_t n = 0;

	for (unsigned int i = 0; i <= HIST_LE_COUNT; i++)
		n += snprintf(buckets + n, sizeof(buckets) - n, "%s%llu", i ? "," : "",
			      (unsigned long long)(i == bucket ? calls : 0));
	snprintf(text, sizeof(text),
		 "{\"type\":\"metrics\",\"seq\":9,\"window_start_ns\":1000000000,\"window_ns\":2000000000,"
		 "\"syscalls\":[{\"syscall\":\"%s\",\"nr\":0,\"calls\":%llu,\"errors\":1,"
		 "\"p50_ns\":100,\"p95_ns\":200,\"p99_ns\":%llu,\"max_ns\":999,\"sum_ns\":%llu,"
		 "\"buckets\":[%s],\"errnos\":{\"EBADF\":1}}],"
		 "\"crashes\":{\"total\":1,\"by_signal\":{\"%s\":1}},\"oom_kills\":1,"
		 "\"exits_nonzero\":{\"sh\":3},"
		 "\"drops\":{\"syscalls\":{\"slow_syscall\":2},\"agent\":{\"jsonl_lost\":0}}}",
		 name, (unsigned long long)calls, (unsigned long long)p99_ns,
		 (unsigned long long)calls * 1000, buckets, signal);
	return json_tokener_parse(text);
}

static char *render_two_windows(void)
{
	struct json_object *totals = json_object_new_object();
	struct json_object *w1 = window("read", 10, 5000, 0, "SIGSEGV");
	struct json_object *w2 = window("read", 30, 7000, 2, "SIGKILL");
	struct json_object *w3 = window("write", 5, 100, HIST_LE_COUNT, "SIGSEGV");
	size_t len;
	char *text;

	exposition_accumulate(totals, w1);
	exposition_accumulate(totals, w3);
	exposition_accumulate(totals, w2);
	text = exposition_render(totals, w2, NULL, "running", &len);
	json_object_put(totals);
	json_object_put(w1);
	json_object_put(w2);
	json_object_put(w3);
	return text;
}

static void counters_are_cumulative(void **state)
{
	char *text = render_two_windows();

	(void)state;
	contains(text, "\nhostmon_syscall_calls_total{syscall=\"read\"} 40\n");
	contains(text, "\nhostmon_syscall_calls_total{syscall=\"write\"} 5\n");
	contains(text, "\nhostmon_syscall_errors_total{syscall=\"read\",errno=\"EBADF\"} 2\n");
	contains(text, "\nhostmon_process_crashes_total{signal=\"SIGSEGV\"} 2\n");
	contains(text, "\nhostmon_process_crashes_total{signal=\"SIGKILL\"} 1\n");
	contains(text, "\nhostmon_oom_kills_total 3\n");
	contains(text, "\nhostmon_drops_total{family=\"syscalls\",reason=\"slow_syscall\"} 6\n");
	contains(text, "\nhostmon_agent_state{state=\"running\"} 1\n");
	contains(text, "\nhostmon_window_end_timestamp_seconds 3\n");
	lacks(text, "exits_nonzero");
	lacks(text, "\"sh\"");
	free(text);
}

static void summary_quantiles_from_latest_window(void **state)
{
	char *text = render_two_windows();

	(void)state;
	contains(text, "# TYPE hostmon_syscall_latency_seconds summary\n");
	contains(text, "\nhostmon_syscall_latency_seconds{syscall=\"read\",quantile=\"0.99\"} 0.000007\n");
	contains(text, "\nhostmon_syscall_latency_seconds_sum{syscall=\"read\"} 0.00004\n");
	contains(text, "\nhostmon_syscall_latency_seconds_count{syscall=\"read\"} 40\n");
	/* write is not in the latest window: totals only, no stale quantiles. */
	lacks(text, "hostmon_syscall_latency_seconds{syscall=\"write\"");
	contains(text, "\nhostmon_syscall_latency_seconds_count{syscall=\"write\"} 5\n");
	free(text);
}

static void histogram_buckets_cumulative(void **state)
{
	char *text = render_two_windows();

	(void)state;
	contains(text, "# TYPE hostmon_syscall_duration_seconds histogram\n");
	contains(text, "\nhostmon_syscall_duration_seconds_bucket{syscall=\"read\",le=\"0.000001\"} 10\n");
	contains(text, "\nhostmon_syscall_duration_seconds_bucket{syscall=\"read\",le=\"0.0000025\"} 10\n");
	contains(text, "\nhostmon_syscall_duration_seconds_bucket{syscall=\"read\",le=\"0.000005\"} 40\n");
	contains(text, "\nhostmon_syscall_duration_seconds_bucket{syscall=\"read\",le=\"10\"} 40\n");
	contains(text, "\nhostmon_syscall_duration_seconds_bucket{syscall=\"read\",le=\"+Inf\"} 40\n");
	contains(text, "\nhostmon_syscall_duration_seconds_count{syscall=\"read\"} 40\n");
	contains(text, "\nhostmon_syscall_duration_seconds_bucket{syscall=\"write\",le=\"10\"} 0\n");
	contains(text, "\nhostmon_syscall_duration_seconds_bucket{syscall=\"write\",le=\"+Inf\"} 5\n");
	free(text);
}

static void before_first_window(void **state)
{
	struct json_object *totals = json_object_new_object();
	size_t len;
	char *text = exposition_render(totals, NULL, NULL, "starting", &len);

	(void)state;
	assert_non_null(text);
	contains(text, "hostmon_agent_state{state=\"starting\"} 1\n");
	contains(text, "hostmon_oom_kills_total 0\n");
	lacks(text, "hostmon_window_end_timestamp_seconds ");
	free(text);
	json_object_put(totals);
}

/* Windows with crash records by exe, a canary and endpoints, as proc.c and net.c write them. */
static struct json_object *crash_window(const char *exe, uint64_t n, uint64_t canary,
					const char *endpoint, uint64_t refused)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"type\":\"metrics\",\"host_id\":\"h-1\",\"window_start_ns\":1,\"window_ns\":1,"
		 "\"crashes\":{\"total\":%llu,\"by_signal\":{\"SIGSEGV\":%llu},"
		 "\"by_exe\":{\"%s\":%llu},\"canary\":%llu},"
		 "\"connections\":{\"endpoints\":[{\"endpoint\":\"%s\",\"address\":\"x\","
		 "\"port\":80,\"protocol\":\"tcp\",\"direction\":\"out\",\"attempts\":%llu,"
		 "\"established\":0,\"retransmits\":1,\"resets\":0,\"errors\":%llu,"
		 "\"failures\":{\"refused\":%llu,\"timeout\":0},\"connect_p50_ns\":5,"
		 "\"connect_p95_ns\":5,\"connect_p99_ns\":5}]}}",
		 (unsigned long long)(n + canary), (unsigned long long)(n + canary), exe,
		 (unsigned long long)n, (unsigned long long)canary, endpoint,
		 (unsigned long long)refused, (unsigned long long)refused, (unsigned long long)refused);
	return json_tokener_parse(text);
}

static char *accumulate_render(struct json_object *totals, struct json_object *w)
{
	size_t len;
	char *text;

	assert_non_null(w);
	exposition_accumulate(totals, w);
	text = exposition_render(totals, w, NULL, "running", &len);
	json_object_put(w);
	assert_non_null(text);
	return text;
}

static void crashes_by_exe_canary_apart_endpoints(void **state)
{
	struct json_object *totals = json_object_new_object();
	char *text;

	(void)state;
	free(accumulate_render(totals, crash_window("/bin/a", 2, 1, "10.0.0.1:80", 3)));
	text = accumulate_render(totals, crash_window("/bin/a", 1, 0, "10.0.0.1:80", 4));
	contains(text, "\nhostmon_process_crashes_total{signal=\"SIGSEGV\"} 4\n");
	contains(text, "\nhostmon_exe_crashes_total{exe=\"/bin/a\"} 3\n");
	contains(text, "\nhostmon_selftest_crashes_total 1\n");
	contains(text, "\nhostmon_endpoint_connect_attempts_total{endpoint=\"10.0.0.1:80\","
		 "protocol=\"tcp\",direction=\"out\"} 7\n");
	contains(text, "\nhostmon_endpoint_connection_errors_total{endpoint=\"10.0.0.1:80\","
		 "protocol=\"tcp\",direction=\"out\",kind=\"refused\"} 7\n");
	contains(text, "\nhostmon_endpoint_retransmits_total{endpoint=\"10.0.0.1:80\","
		 "protocol=\"tcp\",direction=\"out\"} 2\n");
	contains(text, "\nhostmon_agent_info{host=\"h-1\",version=\"");
	lacks(text, "port");
	free(text);
	json_object_put(totals);
}

static void feed(struct json_object *totals, const char *exe, const char *ep)
{
	struct json_object *w = crash_window(exe, 1, 0, ep, 1);

	exposition_accumulate(totals, w);
	json_object_put(w);
}

/*
 * Past 256 exes and 1024 endpoints, the least recently active series go
 * first: x0 and 10.0.0.0:80, active every 200 windows while 1300 others
 * come, stay.
 */
static void data_labelled_series_bounded(void **state)
{
	struct json_object *totals = json_object_new_object(), *o;
	char exe[32], ep[32];
	char *text;

	(void)state;
	feed(totals, "/bin/x0", "10.0.0.0:80");
	for (int i = 1; i <= 1300; i++) {
		snprintf(exe, sizeof(exe), "/bin/x%d", i);
		snprintf(ep, sizeof(ep), "10.0.%d.%d:80", i / 256, i % 256);
		feed(totals, exe, ep);
		if (i % 200 == 0)
			feed(totals, "/bin/x0", "10.0.0.0:80");
	}
	text = accumulate_render(totals, crash_window("/bin/x1300", 1, 0, "10.0.5.20:80", 1));
	/* Kept: x1046..x1200, x0, x1201..x1300 (256); endpoints 278..1200, 0, 1201..1300 (1024). */
	contains(text, "hostmon_exe_crashes_total{exe=\"/bin/x0\"} 7\n");
	contains(text, "hostmon_exe_crashes_total{exe=\"/bin/x1300\"} 2\n");
	contains(text, "hostmon_exe_crashes_total{exe=\"/bin/x1046\"} 1\n");
	lacks(text, "exe=\"/bin/x1045\"");
	contains(text, "attempts_total{endpoint=\"10.0.0.0:80\",protocol=\"tcp\",direction=\"out\"} 7\n");
	contains(text, "attempts_total{endpoint=\"10.0.1.22:80\"");
	lacks(text, "attempts_total{endpoint=\"10.0.1.21:80\"");
	assert_true(json_object_object_get_ex(totals, "exe_crashes", &o));
	assert_int_equal(json_object_object_length(o), 256);
	assert_true(json_object_object_get_ex(totals, "endpoints", &o));
	assert_int_equal(json_object_object_length(o), 1024);
	free(text);
	json_object_put(totals);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seconds_exact),
		cmocka_unit_test(families_labels_escaping),
		cmocka_unit_test(grows_past_first_buffer),
		cmocka_unit_test(counters_are_cumulative),
		cmocka_unit_test(summary_quantiles_from_latest_window),
		cmocka_unit_test(histogram_buckets_cumulative),
		cmocka_unit_test(before_first_window),
		cmocka_unit_test(crashes_by_exe_canary_apart_endpoints),
		cmocka_unit_test(data_labelled_series_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
