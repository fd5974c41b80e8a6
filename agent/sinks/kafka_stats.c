/* Parsing librdkafka's statistics JSON with json-c: queue depth, retries, timeouts, connected brokers. */
#include <errno.h>
#include <string.h>
#include <json-c/json.h>
#include "sinks/kafka_stats.h"

static uint64_t get_u64(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v) > 0 ? (uint64_t)json_object_get_int64(v) : 0;
}

static void add_brokers(struct json_object *brokers, struct kafka_stats *st)
{
	struct json_object *state;

	json_object_object_foreach(brokers, name, b) {
		(void)name;
		st->retries += get_u64(b, "txretries");
		st->request_timeouts += get_u64(b, "req_timeouts");
		st->tx_errors += get_u64(b, "txerrs");
		if (json_object_object_get_ex(b, "state", &state) &&
		    !strcmp(json_object_get_string(state), "UP"))
			st->connected_brokers++;
	}
}

int kafka_stats_parse(const char *json, size_t len, struct kafka_stats *out)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *doc = NULL, *brokers, *cnt;
	struct kafka_stats st = { 0 };
	int err = -EINVAL;

	if (!tok)
		return -ENOMEM;
	doc = json_tokener_parse_ex(tok, json, (int)len);
	if (!doc || !json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "msg_cnt", &cnt))
		goto out;
	st.queue_msgs = get_u64(doc, "msg_cnt");
	st.queue_bytes = get_u64(doc, "msg_size");
	if (json_object_object_get_ex(doc, "brokers", &brokers) &&
	    json_object_is_type(brokers, json_type_object))
		add_brokers(brokers, &st);
	*out = st;
	err = 0;
out:
	json_object_put(doc);
	json_tokener_free(tok);
	return err;
}
