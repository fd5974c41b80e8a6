/* The generated hostmon.v1 code: an Envelope survives pack/unpack, and an event kind from a newer schema is skipped, not an error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "proto/hostmon.pb-c.h"

/* Packs env into a malloc'd buffer; *len gets its size. */
static uint8_t *pack(const Hostmon__V1__Envelope *env, size_t *len)
{
	uint8_t *buf;

	*len = hostmon__v1__envelope__get_packed_size(env);
	buf = malloc(*len ? *len : 1);
	assert_non_null(buf);
	assert_int_equal(hostmon__v1__envelope__pack(env, buf), *len);
	return buf;
}

static void envelope_header(Hostmon__V1__Envelope *env)
{
	env->host_id = "3d12aa";
	env->boot_id = "e31dbb";
	env->instance_id = "5f0c2a9e-0c1d-4b6e-9a51-7f3e2b1c4d5e";
	env->seq = 42;
	env->ts_ns = 1795433268263879146ULL;
	env->agent_version = "0.1.0";
}

static void process_crash_round_trips(void **state)
{
	Hostmon__V1__Envelope env = HOSTMON__V1__ENVELOPE__INIT, *got;
	Hostmon__V1__ProcessCrash crash = HOSTMON__V1__PROCESS_CRASH__INIT;
	uint8_t *buf;
	size_t len;

	(void)state;
	envelope_header(&env);
	crash.pid = 11835;
	crash.comm = "sle\xef\xbf\xbd" "ep"; /* a comm with U+FFFD, as encode_utf8 cleans it */
	crash.signal = 11;
	crash.signal_name = "SIGSEGV";
	crash.core_dumped = 1;
	crash.exit_code = 139;
	env.event_case = HOSTMON__V1__ENVELOPE__EVENT_PROCESS_CRASH;
	env.process_crash = &crash;
	buf = pack(&env, &len);

	got = hostmon__v1__envelope__unpack(NULL, len, buf);
	assert_non_null(got);
	assert_string_equal(got->host_id, "3d12aa");
	assert_string_equal(got->instance_id, env.instance_id);
	assert_int_equal(got->seq, 42);
	assert_int_equal(got->ts_ns, 1795433268263879146ULL);
	assert_int_equal(got->event_case, HOSTMON__V1__ENVELOPE__EVENT_PROCESS_CRASH);
	assert_int_equal(got->process_crash->pid, 11835);
	assert_string_equal(got->process_crash->comm, crash.comm);
	assert_string_equal(got->process_crash->signal_name, "SIGSEGV");
	assert_true(got->process_crash->core_dumped);
	assert_int_equal(got->process_crash->exit_code, 139);
	assert_string_equal(got->process_crash->exe, ""); /* unknown exe: empty, JSON null */
	hostmon__v1__envelope__free_unpacked(got, NULL);
	free(buf);
}

static void metrics_window_maps_and_repeated_round_trip(void **state)
{
	Hostmon__V1__Envelope env = HOSTMON__V1__ENVELOPE__INIT, *got;
	Hostmon__V1__MetricsWindow win = HOSTMON__V1__METRICS_WINDOW__INIT;
	Hostmon__V1__SyscallWindow sc = HOSTMON__V1__SYSCALL_WINDOW__INIT, *scs[] = { &sc };
	Hostmon__V1__SyscallWindow__ErrnosEntry e = HOSTMON__V1__SYSCALL_WINDOW__ERRNOS_ENTRY__INIT;
	Hostmon__V1__SyscallWindow__ErrnosEntry *errnos[] = { &e };
	uint64_t buckets[] = { 2, 116, 508, 7 };
	uint8_t *buf;
	size_t len;

	(void)state;
	envelope_header(&env);
	sc.syscall = "close";
	sc.calls = 284;
	sc.errors = 2;
	sc.p99_ns = 13184;
	sc.n_buckets = 4;
	sc.buckets = buckets;
	e.key = "EBADF";
	e.value = 2;
	sc.n_errnos = 1;
	sc.errnos = errnos;
	win.n_syscalls = 1;
	win.syscalls = scs;
	win.state = HOSTMON__V1__AGENT_STATE__AGENT_STATE_RUNNING;
	env.event_case = HOSTMON__V1__ENVELOPE__EVENT_METRICS;
	env.metrics = &win;
	buf = pack(&env, &len);

	got = hostmon__v1__envelope__unpack(NULL, len, buf);
	assert_non_null(got);
	assert_int_equal(got->event_case, HOSTMON__V1__ENVELOPE__EVENT_METRICS);
	assert_int_equal(got->metrics->state, HOSTMON__V1__AGENT_STATE__AGENT_STATE_RUNNING);
	assert_int_equal(got->metrics->n_syscalls, 1);
	assert_string_equal(got->metrics->syscalls[0]->syscall, "close");
	assert_int_equal(got->metrics->syscalls[0]->p99_ns, 13184);
	assert_int_equal(got->metrics->syscalls[0]->n_buckets, 4);
	assert_memory_equal(got->metrics->syscalls[0]->buckets, buckets, sizeof(buckets));
	assert_int_equal(got->metrics->syscalls[0]->n_errnos, 1);
	assert_string_equal(got->metrics->syscalls[0]->errnos[0]->key, "EBADF");
	assert_int_equal(got->metrics->syscalls[0]->errnos[0]->value, 2);
	hostmon__v1__envelope__free_unpacked(got, NULL);
	free(buf);
}

/*
 * Rule 3 of hostmon.proto: an envelope carrying an event kind this code does
 * not know (field 99, a message) decodes with its header and no event.
 */
static void unknown_event_kind_decodes_without_event(void **state)
{
	Hostmon__V1__Envelope env = HOSTMON__V1__ENVELOPE__INIT, *got;
	/* field 99, wire type 2 (a message): tag varint 0x9a 0x06, length 2, {field 1 = 1} */
	static const uint8_t future[] = { 0x9a, 0x06, 0x02, 0x08, 0x01 };
	uint8_t *buf, *all;
	size_t len;

	(void)state;
	envelope_header(&env);
	buf = pack(&env, &len);
	all = malloc(len + sizeof(future));
	assert_non_null(all);
	memcpy(all, buf, len);
	memcpy(all + len, future, sizeof(future));

	got = hostmon__v1__envelope__unpack(NULL, len + sizeof(future), all);
	assert_non_null(got);
	assert_int_equal(got->seq, 42);
	assert_string_equal(got->host_id, "3d12aa");
	assert_int_equal(got->event_case, HOSTMON__V1__ENVELOPE__EVENT__NOT_SET);
	hostmon__v1__envelope__free_unpacked(got, NULL);
	free(all);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(process_crash_round_trips),
		cmocka_unit_test(metrics_window_maps_and_repeated_round_trip),
		cmocka_unit_test(unknown_event_kind_decodes_without_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
