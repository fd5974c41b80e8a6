/* JSON records as the agent emits them, read back by the .proto's JSON rules, packed as hostmon.v1.Envelope and decoded field by field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "record/envelope.h"
#include "record/pbjson.h"
#include "probes/syscall_family.h"
#include "proto/hostmon.pb-c.h"

static const struct envelope_ids ids = {
	.instance_id = "5f0c2a9e-0c1d-4b6e-9a51-7f3e2b1c4d5e",
	.agent_version = "0.1.0",
};

#define HEADER "\"seq\":41,\"ts_ns\":1795433268263879146,\"host_id\":\"3d12\",\"boot_id\":\"e31d\""

/* The envelope's bytes as the agent packs them, with the fixture's ids. */
static uint8_t *pack(Hostmon__V1__Envelope *env, size_t *len)
{
	uint8_t *buf;

	env->instance_id = strdup(ids.instance_id);
	env->agent_version = strdup(ids.agent_version);
	*len = hostmon__v1__envelope__get_packed_size(env);
	buf = malloc(*len ? *len : 1);
	assert_non_null(buf);
	hostmon__v1__envelope__pack(env, buf);
	return buf;
}

/*
 * Reads the JSON line by the .proto's JSON rules (agent/record/pbjson.c), packs and
 * decodes the bytes; the caller frees the result.
 */
static Hostmon__V1__Envelope *round_trip(const char *json)
{
	struct json_object *rec = json_tokener_parse(json);
	Hostmon__V1__Envelope *env;
	uint8_t *buf = NULL;
	size_t len = 0;

	if (!rec)
		fail_msg("test JSON does not parse: %s", json);
	env = (Hostmon__V1__Envelope *)pbjson_read(rec, &hostmon__v1__envelope__descriptor);
	assert_non_null(env);
	buf = pack(env, &len);
	hostmon__v1__envelope__free_unpacked(env, NULL);
	env = hostmon__v1__envelope__unpack(NULL, len, buf);
	assert_non_null(env);
	free(buf);
	json_object_put(rec);
	assert_string_equal(env->host_id, "3d12");
	assert_string_equal(env->boot_id, "e31d");
	assert_string_equal(env->instance_id, ids.instance_id);
	assert_string_equal(env->agent_version, "0.1.0");
	assert_int_equal(env->seq, 41);
	assert_int_equal(env->ts_ns, 1795433268263879146ULL);
	return env;
}

static void process_crash_with_sender(void **state)
{
	Hostmon__V1__Envelope *env = round_trip("{\"type\":\"process_crash\"," HEADER
		",\"pid\":11835,\"ppid\":11708,\"comm\":\"sleep\",\"exe\":\"/usr/bin/sleep\","
		"\"signal\":9,\"signal_name\":\"SIGKILL\",\"core_dumped\":false,\"exit_code\":137,"
		"\"wait_status\":9,\"cgroup\":\"/\",\"memcg\":\"/a/b\",\"age_ns\":206361099,"
		"\"oom_killed\":true,\"sender_pid\":11708,\"sender_comm\":\"bash\"}");
	Hostmon__V1__ProcessCrash *m;

	(void)state;
	assert_int_equal(env->event_case, HOSTMON__V1__ENVELOPE__EVENT_PROCESS_CRASH);
	m = env->process_crash;
	assert_int_equal(m->pid, 11835);
	assert_int_equal(m->ppid, 11708);
	assert_string_equal(m->comm, "sleep");
	assert_string_equal(m->exe, "/usr/bin/sleep");
	assert_int_equal(m->signal, 9);
	assert_string_equal(m->signal_name, "SIGKILL");
	assert_false(m->core_dumped);
	assert_int_equal(m->exit_code, 137);
	assert_int_equal(m->wait_status, 9);
	assert_string_equal(m->cgroup, "/");
	assert_string_equal(m->memcg, "/a/b");
	assert_int_equal(m->age_ns, 206361099);
	assert_true(m->oom_killed);
	assert_int_equal(m->sender_pid, 11708);
	assert_string_equal(m->sender_comm, "bash");
	hostmon__v1__envelope__free_unpacked(env, NULL);
}

static void process_crash_null_exe_is_empty(void **state)
{
	Hostmon__V1__Envelope *env = round_trip("{\"type\":\"process_crash\"," HEADER
		",\"pid\":7,\"comm\":\"x\",\"exe\":null,\"signal\":11,\"core_dumped\":true}");

	(void)state;
	assert_string_equal(env->process_crash->exe, "");
	assert_true(env->process_crash->core_dumped);
	assert_int_equal(env->process_crash->sender_pid, 0);
	hostmon__v1__envelope__free_unpacked(env, NULL);
}

static void conn_error_enums_and_null_error(void **state)
{
	Hostmon__V1__Envelope *env = round_trip("{\"type\":\"conn_error\"," HEADER
		",\"pid\":30058,\"comm\":\"netpeer\",\"protocol\":\"tcp\",\"family\":\"ipv6\","
		"\"saddr\":\"fd00::2\",\"sport\":8081,\"daddr\":\"fd00::1\",\"dport\":57060,"
		"\"errno\":0,\"error\":null,\"kind\":\"reset_sent\",\"connect\":false}");
	Hostmon__V1__ConnError *m;

	(void)state;
	assert_int_equal(env->event_case, HOSTMON__V1__ENVELOPE__EVENT_CONN_ERROR);
	m = env->conn_error;
	assert_int_equal(m->protocol, HOSTMON__V1__PROTOCOL__PROTOCOL_TCP);
	assert_int_equal(m->family, HOSTMON__V1__ADDRESS_FAMILY__ADDRESS_FAMILY_IPV6);
	assert_string_equal(m->saddr, "fd00::2");
	assert_int_equal(m->sport, 8081);
	assert_string_equal(m->daddr, "fd00::1");
	assert_int_equal(m->dport, 57060);
	assert_int_equal(m->errnum, 0);
	assert_string_equal(m->error, "");
	assert_int_equal(m->kind, HOSTMON__V1__CONN_ERROR_KIND__CONN_ERROR_KIND_RESET_SENT);
	assert_false(m->connect);
	hostmon__v1__envelope__free_unpacked(env, NULL);
}

static void conn_error_refused_connect(void **state)
{
	Hostmon__V1__Envelope *env = round_trip("{\"type\":\"conn_error\"," HEADER
		",\"pid\":22911,\"comm\":\"python3\",\"protocol\":\"udp\",\"family\":\"ipv4\","
		"\"errno\":111,\"error\":\"ECONNREFUSED\",\"kind\":\"refused\",\"connect\":true,"
		"\"duration_ns\":302180}");

	(void)state;
	assert_int_equal(env->conn_error->protocol, HOSTMON__V1__PROTOCOL__PROTOCOL_UDP);
	assert_int_equal(env->conn_error->errnum, 111);
	assert_string_equal(env->conn_error->error, "ECONNREFUSED");
	assert_int_equal(env->conn_error->kind, HOSTMON__V1__CONN_ERROR_KIND__CONN_ERROR_KIND_REFUSED);
	assert_true(env->conn_error->connect);
	assert_int_equal(env->conn_error->duration_ns, 302180);
	hostmon__v1__envelope__free_unpacked(env, NULL);
}

static void slow_syscall_negative_ret(void **state)
{
	Hostmon__V1__Envelope *env = round_trip("{\"type\":\"slow_syscall\"," HEADER
		",\"pid\":11202,\"tid\":11203,\"comm\":\"hostmond\",\"syscall\":\"openat\",\"nr\":257,"
		"\"latency_ns\":12889310,\"ret\":-2,\"error\":\"ENOENT\"}");
	Hostmon__V1__SlowSyscall *m;

	(void)state;
	assert_int_equal(env->event_case, HOSTMON__V1__ENVELOPE__EVENT_SLOW_SYSCALL);
	m = env->slow_syscall;
	assert_int_equal(m->pid, 11202);
	assert_int_equal(m->tid, 11203);
	assert_string_equal(m->syscall, "openat");
	assert_int_equal(m->nr, 257);
	assert_int_equal(m->latency_ns, 12889310);
	assert_int_equal(m->ret, -2);
	assert_string_equal(m->error, "ENOENT");
	hostmon__v1__envelope__free_unpacked(env, NULL);
}

static void oom_kill_memory_figures(void **state)
{
	Hostmon__V1__Envelope *env = round_trip("{\"type\":\"oom_kill\"," HEADER
		",\"pid\":4242,\"comm\":\"memhog\",\"uid\":0,\"memcg\":\"/hostmon-test-123\","
		"\"total_vm_kb\":68904,\"anon_rss_kb\":64400,\"file_rss_kb\":1280,\"shmem_rss_kb\":0,"
		"\"pgtables_kb\":172,\"oom_score_adj\":-500}");
	Hostmon__V1__OomKill *m;

	(void)state;
	assert_int_equal(env->event_case, HOSTMON__V1__ENVELOPE__EVENT_OOM_KILL);
	m = env->oom_kill;
	assert_string_equal(m->memcg, "/hostmon-test-123");
	assert_int_equal(m->total_vm_kb, 68904);
	assert_int_equal(m->anon_rss_kb, 64400);
	assert_int_equal(m->file_rss_kb, 1280);
	assert_int_equal(m->pgtables_kb, 172);
	assert_int_equal(m->oom_score_adj, -500);
	hostmon__v1__envelope__free_unpacked(env, NULL);
}

static void agent_status_probes(void **state)
{
	Hostmon__V1__Envelope *env = round_trip("{\"type\":\"agent_status\"," HEADER
		",\"state\":\"degraded\",\"previous_state\":\"starting\","
		"\"reason\":\"probes attached\",\"probes\":{"
		"\"syscalls\":{\"state\":\"attached\"},\"net\":{\"state\":\"failed\","
		"\"error\":\"attach failed: No such file or directory\"}}}");
	Hostmon__V1__AgentStatus *m;

	(void)state;
	assert_int_equal(env->event_case, HOSTMON__V1__ENVELOPE__EVENT_AGENT_STATUS);
	m = env->agent_status;
	assert_int_equal(m->state, HOSTMON__V1__AGENT_STATE__AGENT_STATE_DEGRADED);
	assert_int_equal(m->previous_state, HOSTMON__V1__AGENT_STATE__AGENT_STATE_STARTING);
	assert_string_equal(m->reason, "probes attached");
	assert_int_equal(m->n_probes, 2);
	assert_string_equal(m->probes[0]->key, "syscalls");
	assert_string_equal(m->probes[0]->value->state, "attached");
	assert_string_equal(m->probes[1]->key, "net");
	assert_string_equal(m->probes[1]->value->state, "failed");
	assert_string_equal(m->probes[1]->value->error, "attach failed: No such file or directory");
	hostmon__v1__envelope__free_unpacked(env, NULL);
}

static void metrics_window_every_part(void **state)
{
	Hostmon__V1__Envelope *env = round_trip("{\"type\":\"metrics\"," HEADER
		",\"window_start_ns\":1795433267297351862,\"window_ns\":970069120,\"state\":\"running\","
		"\"syscalls\":[{\"syscall\":\"close\",\"nr\":3,\"calls\":284,\"errors\":2,\"p50_ns\":536,"
		"\"p95_ns\":6336,\"p99_ns\":13184,\"max_ns\":16514,\"sum_ns\":99,\"buckets\":[2,116,0],"
		"\"errnos\":{\"EBADF\":2}}],"
		"\"connections\":{\"endpoints\":[{\"endpoint\":\"10.201.0.2:8083\",\"address\":\"10.201.0.2\","
		"\"port\":8083,\"protocol\":\"tcp\",\"direction\":\"in\",\"attempts\":100,\"established\":97,"
		"\"retransmits\":4,\"resets\":1,\"errors\":3,\"failures\":{\"refused\":2,\"timeout\":0,"
		"\"unreachable\":0,\"reset_received\":1,\"reset_sent\":0,\"error\":0},"
		"\"connect_p50_ns\":20185088,\"connect_p95_ns\":20185088,\"connect_p99_ns\":20709376}],"
		"\"other\":{\"endpoints\":5,\"attempts\":7},\"total\":{\"attempts\":107}},"
		"\"crashes\":{\"total\":1,\"by_signal\":{\"SIGKILL\":1}},\"oom_kills\":0,"
		"\"exits_nonzero\":{\"bash\":1},"
		"\"drops\":{\"syscalls\":{\"slow_syscall\":3,\"errno_map\":0},\"agent\":{\"jsonl_lost\":0}},"
		"\"self\":{\"cpu_percent\":1.25,\"rss_kb\":13508,\"ring_fill_max\":0.0539,"
		"\"shed_level\":\"slow_syscall\"},\"kafka\":{\"state\":\"unreachable\","
		"\"last_error\":\"127.0.0.1:1: Connection refused\",\"last_error_ns\":1795433267297351862,"
		"\"delivered\":10,\"delivered_seq\":14,\"lost\":1,\"retries\":2,\"request_timeouts\":3,"
		"\"producers_recreated\":4,\"queue_depth\":5,\"queue_bytes\":6,"
		"\"connected_brokers\":0,\"spool_records\":7,\"spool_bytes\":8,"
		"\"delivery_latency\":{\"count\":9,\"p50_ns\":10,\"p95_ns\":11,\"p99_ns\":12,"
		"\"max_ns\":13}}}");
	Hostmon__V1__MetricsWindow *m;
	Hostmon__V1__SyscallWindow *sc;
	Hostmon__V1__Endpoint *ep;

	(void)state;
	assert_int_equal(env->event_case, HOSTMON__V1__ENVELOPE__EVENT_METRICS);
	m = env->metrics;
	assert_int_equal(m->window_start_ns, 1795433267297351862ULL);
	assert_int_equal(m->window_ns, 970069120);
	assert_int_equal(m->state, HOSTMON__V1__AGENT_STATE__AGENT_STATE_RUNNING);
	assert_int_equal(m->n_syscalls, 1);
	sc = m->syscalls[0];
	assert_string_equal(sc->syscall, "close");
	assert_int_equal(sc->calls, 284);
	assert_int_equal(sc->p99_ns, 13184);
	assert_int_equal(sc->sum_ns, 99);
	assert_int_equal(sc->n_buckets, 3);
	assert_int_equal(sc->buckets[1], 116);
	assert_int_equal(sc->n_errnos, 1);
	assert_string_equal(sc->errnos[0]->key, "EBADF");
	assert_int_equal(sc->errnos[0]->value, 2);
	/* The bucket bounds are the schema's, not the JSON line's: [json: omit]. */
	assert_int_equal(m->n_bucket_le_ns, 0);

	assert_int_equal(m->connections->n_endpoints, 1);
	ep = m->connections->endpoints[0];
	assert_string_equal(ep->endpoint, "10.201.0.2:8083");
	assert_int_equal(ep->port, 8083);
	assert_int_equal(ep->direction, HOSTMON__V1__DIRECTION__DIRECTION_IN);
	assert_int_equal(ep->stats->attempts, 100);
	assert_int_equal(ep->stats->established, 97);
	assert_int_equal(ep->stats->retransmits, 4);
	assert_int_equal(ep->stats->failures->refused, 2);
	assert_int_equal(ep->stats->failures->reset_received, 1);
	assert_int_equal(ep->connect_p99_ns, 20709376);
	assert_int_equal(m->connections->other_endpoints, 5);
	assert_int_equal(m->connections->other->attempts, 7);
	assert_int_equal(m->connections->total->attempts, 107);

	assert_int_equal(m->crashes->total, 1);
	assert_string_equal(m->crashes->by_signal[0]->key, "SIGKILL");
	assert_int_equal(m->n_exits_nonzero, 1);
	assert_string_equal(m->exits_nonzero[0]->key, "bash");
	assert_int_equal(m->n_drops, 2);
	assert_string_equal(m->drops[0]->key, "syscalls");
	assert_int_equal(m->drops[0]->value->n_reasons, 2);
	assert_string_equal(m->drops[0]->value->reasons[0]->key, "slow_syscall");
	assert_int_equal(m->drops[0]->value->reasons[0]->value, 3);
	assert_string_equal(m->drops[1]->key, "agent");
	assert_non_null(m->self);
	assert_true(m->self->cpu_percent == 1.25);
	assert_int_equal(m->self->rss_kb, 13508);
	assert_true(m->self->ring_fill_max == 0.0539);
	assert_string_equal(m->self->shed_level, "slow_syscall");
	assert_non_null(m->kafka);
	assert_string_equal(m->kafka->state, "unreachable");
	assert_string_equal(m->kafka->last_error, "127.0.0.1:1: Connection refused");
	assert_int_equal(m->kafka->last_error_ns, 1795433267297351862ULL);
	assert_int_equal(m->kafka->delivered, 10);
	assert_int_equal(m->kafka->delivered_seq, 14);
	assert_int_equal(m->kafka->lost, 1);
	assert_int_equal(m->kafka->retries, 2);
	assert_int_equal(m->kafka->request_timeouts, 3);
	assert_int_equal(m->kafka->producers_recreated, 4);
	assert_int_equal(m->kafka->queue_depth, 5);
	assert_int_equal(m->kafka->queue_bytes, 6);
	assert_int_equal(m->kafka->connected_brokers, 0);
	assert_int_equal(m->kafka->spool_records, 7);
	assert_int_equal(m->kafka->spool_bytes, 8);
	assert_int_equal(m->kafka->delivery_latency->count, 9);
	assert_int_equal(m->kafka->delivery_latency->p50_ns, 10);
	assert_int_equal(m->kafka->delivery_latency->p95_ns, 11);
	assert_int_equal(m->kafka->delivery_latency->p99_ns, 12);
	assert_int_equal(m->kafka->delivery_latency->max_ns, 13);
	hostmon__v1__envelope__free_unpacked(env, NULL);
}

static void unknown_type_reads_as_no_event(void **state)
{
	struct json_object *rec = json_tokener_parse("{\"type\":\"nope\"," HEADER "}");
	Hostmon__V1__Envelope *env;

	(void)state;
	env = (Hostmon__V1__Envelope *)pbjson_read(rec, &hostmon__v1__envelope__descriptor);
	assert_non_null(env);
	assert_int_equal(env->event_case, HOSTMON__V1__ENVELOPE__EVENT__NOT_SET);
	assert_int_equal(env->seq, 41);
	hostmon__v1__envelope__free_unpacked(env, NULL);
	json_object_put(rec);
}

static void instance_ids_are_v4_uuids_and_differ(void **state)
{
	char a[37], b[37];

	(void)state;
	assert_int_equal(envelope_instance_id(a), 0);
	assert_int_equal(envelope_instance_id(b), 0);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[8], '-');
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(process_crash_with_sender),
		cmocka_unit_test(process_crash_null_exe_is_empty),
		cmocka_unit_test(conn_error_enums_and_null_error),
		cmocka_unit_test(conn_error_refused_connect),
		cmocka_unit_test(slow_syscall_negative_ret),
		cmocka_unit_test(oom_kill_memory_figures),
		cmocka_unit_test(agent_status_probes),
		cmocka_unit_test(metrics_window_every_part),
		cmocka_unit_test(unknown_type_reads_as_no_event),
		cmocka_unit_test(instance_ids_are_v4_uuids_and_differ),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
