/* Events in and out per kind and sink: each window's share of the cumulative counts, every kind listed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "record/flow_window.h"
#include "record/pbjson.h"
#include "record/record.h"

static uint64_t at(struct json_object *o, const char *a, const char *b, const char *c)
{
	struct json_object *v = o;

	assert_true(json_object_object_get_ex(v, a, &v));
	assert_true(json_object_object_get_ex(v, b, &v));
	if (c)
		assert_true(json_object_object_get_ex(v, c, &v));
	return json_object_get_uint64(v);
}

/* One window's self as its JSON line shows it. */
static struct json_object *window(const struct flow_counts *now, struct flow_counts *prev,
				  unsigned int sinks)
{
	struct record rec = { 0 };
	Hostmon__V1__AgentSelf *self;
	struct json_object *o;

	record__reset(&rec, FLOW_METRICS);
	self = record__msg(&rec, &hostmon__v1__agent_self__descriptor);
	assert_non_null(self);
	flow_window(now, prev, sinks, &rec, self);
	o = pbjson_object(&self->base, PBJSON_LINES);
	assert_non_null(o);
	record__fini(&rec);
	return o;
}

/* A kind's name is its record's "type": the Envelope's oneof member its record sets. */
static void kinds_named_as_record_types(void **state)
{
	const ProtobufCFieldDescriptor *f;
	struct record rec = { 0 };

	(void)state;
	for (int k = 0; k < FLOW_KIND_MAX; k++) {
		record__reset(&rec, k);
		f = protobuf_c_message_descriptor_get_field(&hostmon__v1__envelope__descriptor,
							     rec.env.event_case);
		assert_non_null(f);
		assert_string_equal(flow_kind_name(k), f->name);
	}
	assert_string_equal(flow_kind_name(FLOW_KIND_MAX), "unknown");
	assert_string_equal(flow_sink_name(FLOW_SOCKET), "socket");
	record__fini(&rec);
}

/* Two windows: each reports what happened in it only; sinks not present are left out. */
static void windows_report_deltas_per_kind_and_sink(void **state)
{
	struct flow_counts now = { 0 }, prev = { 0 };
	struct json_object *self, *o;
	unsigned int sinks = 1u << FLOW_JSONL | 1u << FLOW_SOCKET;

	(void)state;
	now.in[FLOW_CONN_ERROR] = 5;
	now.out[FLOW_JSONL][FLOW_CONN_ERROR] = 4;
	now.out[FLOW_SOCKET][FLOW_CONN_ERROR] = 5;
	self = window(&now, &prev, sinks);
	assert_int_equal(at(self, "events_in", "conn_error", NULL), 5);
	assert_int_equal(at(self, "events_in", "oom_kill", NULL), 0);
	assert_int_equal(at(self, "events_out", "jsonl", "conn_error"), 4);
	assert_int_equal(at(self, "events_out", "socket", "conn_error"), 5);
	assert_true(json_object_object_get_ex(self, "events_out", &o));
	assert_false(json_object_object_get_ex(o, "kafka", NULL));
	assert_int_equal(json_object_object_length(o), 2);
	assert_true(json_object_object_get_ex(self, "events_in", &o));
	assert_int_equal(json_object_object_length(o), FLOW_KIND_MAX);

	now.in[FLOW_CONN_ERROR] = 7;
	now.in[FLOW_METRICS] = 1;
	now.out[FLOW_JSONL][FLOW_CONN_ERROR] = 7;
	now.out[FLOW_KAFKA][FLOW_PROCESS_CRASH] = 2;
	json_object_put(self);
	self = window(&now, &prev, sinks | 1u << FLOW_KAFKA);
	assert_int_equal(at(self, "events_in", "conn_error", NULL), 2);
	assert_int_equal(at(self, "events_in", "metrics", NULL), 1);
	assert_int_equal(at(self, "events_out", "jsonl", "conn_error"), 3);
	assert_int_equal(at(self, "events_out", "socket", "conn_error"), 0);
	assert_int_equal(at(self, "events_out", "kafka", "process_crash"), 2);
	assert_memory_equal(&prev, &now, sizeof(now));
	json_object_put(self);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kinds_named_as_record_types),
		cmocka_unit_test(windows_report_deltas_per_kind_and_sink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
