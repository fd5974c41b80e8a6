/* golden-gen: this release's golden envelopes, read from JSON lines by the agent's own JSON rules (agent/record/pbjson.c), and their expected decoding. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "core/version.h"
#include "proto/hostmon.pb-c.h"
#include "record/pbjson.h"
#include "record/hist.h"

/* Fixed, so that the files depend on the records and the release only. */
#define GOLDEN_INSTANCE_ID "9b2f4c1e-7d3a-4e8b-a6c5-0f1e2d3c4b5a"

/* The record as the agent packs it: its envelope with the instance id and version set. */
static int pack_record(struct json_object *rec, uint8_t **buf, size_t *len)
{
	Hostmon__V1__Envelope *env;

	env = (Hostmon__V1__Envelope *)pbjson_read(rec, &hostmon__v1__envelope__descriptor);
	if (!env)
		return -ENOMEM;
	if (env->event_case == HOSTMON__V1__ENVELOPE__EVENT__NOT_SET) {
		hostmon__v1__envelope__free_unpacked(env, NULL);
		return -EINVAL;
	}
	env->instance_id = strdup(GOLDEN_INSTANCE_ID);
	env->agent_version = strdup(HOSTMON_VERSION);
	/* The bucket bounds are the schema's constant, not in the JSON line: set as the agent does. */
	if (env->event_case == HOSTMON__V1__ENVELOPE__EVENT_METRICS && !env->metrics->n_bucket_le_ns) {
		env->metrics->bucket_le_ns = malloc(sizeof(hist_le_ns));
		if (!env->metrics->bucket_le_ns) {
			hostmon__v1__envelope__free_unpacked(env, NULL);
			return -ENOMEM;
		}
		memcpy(env->metrics->bucket_le_ns, hist_le_ns, sizeof(hist_le_ns));
		env->metrics->n_bucket_le_ns = HIST_LE_COUNT;
	}
	*len = hostmon__v1__envelope__get_packed_size(env);
	*buf = malloc(*len ? *len : 1);
	if (*buf)
		hostmon__v1__envelope__pack(env, *buf);
	hostmon__v1__envelope__free_unpacked(env, NULL);
	return *buf ? 0 : -ENOMEM;
}

/* A new file for writing; an existing one is never replaced (a golden file is history). */
static FILE *create_new(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	FILE *f;

	if (fd < 0) {
		fprintf(stderr, "golden-gen: creating %s failed: %s%s\n", path, strerror(errno),
			errno == EEXIST ? " (a release's golden file is never rewritten)" : "");
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f)
		close(fd);
	return f;
}

/* The envelope as a varint length and its bytes: protobuf's delimited stream. */
static int write_delimited(FILE *f, const uint8_t *buf, size_t len)
{
	uint8_t v[10];
	size_t n = 0, l = len;

	do {
		v[n++] = (l & 0x7f) | (l > 0x7f ? 0x80 : 0);
		l >>= 7;
	} while (l);
	return fwrite(v, 1, n, f) == n && fwrite(buf, 1, len, f) == len ? 0 : -EIO;
}

/* The decoding the unit test expects: the bytes unpacked again, as JSON. */
static int write_decoding(FILE *f, const uint8_t *buf, size_t len)
{
	Hostmon__V1__Envelope *env = hostmon__v1__envelope__unpack(NULL, len, buf);
	struct json_object *obj = env ? pbjson_object(&env->base, PBJSON_PROTO) : NULL;
	int err = obj ? 0 : -ENOMEM;

	if (obj && fprintf(f, "%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
			   JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		err = -EIO;
	json_object_put(obj);
	hostmon__v1__envelope__free_unpacked(env, NULL);
	return err;
}

static int pack_line(const char *line, FILE *bin, FILE *expected, int lineno)
{
	struct json_object *rec = json_tokener_parse(line);
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = -EINVAL;

	if (!rec) {
		fprintf(stderr, "golden-gen: records line %d is not JSON\n", lineno);
		goto out;
	}
	err = pack_record(rec, &buf, &len);
	if (err) {
		fprintf(stderr, "golden-gen: records line %d: packing: %s\n", lineno,
			strerror(-err));
		goto out;
	}
	err = write_delimited(bin, buf, len);
	if (!err)
		err = write_decoding(expected, buf, len);
out:
	free(buf);
	json_object_put(rec);
	return err;
}

static int generate(FILE *records, FILE *bin, FILE *expected)
{
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, err = 0;

	while (!err && getline(&line, &cap, records) > 0)
		err = pack_line(line, bin, expected, ++lineno);
	free(line);
	return err;
}

int main(int argc, char **argv)
{
	char bin_path[4096], json_path[4096];
	FILE *records = NULL, *bin = NULL, *expected = NULL;
	int err = -EINVAL;

	if (argc != 3) {
		fprintf(stderr, "usage: golden-gen RECORDS.jsonl DIR\n"
			"Writes DIR/envelopes-%s.bin and .json; never overwrites them.\n",
			HOSTMON_VERSION);
		return 2;
	}
	snprintf(bin_path, sizeof(bin_path), "%s/envelopes-%s.bin", argv[2], HOSTMON_VERSION);
	snprintf(json_path, sizeof(json_path), "%s/envelopes-%s.json", argv[2], HOSTMON_VERSION);
	records = fopen(argv[1], "r");
	if (!records) {
		fprintf(stderr, "golden-gen: opening %s failed: %s\n", argv[1], strerror(errno));
		goto out;
	}
	bin = create_new(bin_path);
	expected = bin ? create_new(json_path) : NULL;
	if (expected)
		err = generate(records, bin, expected);
out:
	if (records)
		fclose(records);
	if ((bin && fclose(bin)) || (expected && fclose(expected)))
		err = err ? err : -EIO;
	if (err && bin) {
		unlink(bin_path);
		if (expected)
			unlink(json_path);
	}
	if (!err)
		printf("golden-gen: wrote %s and %s\n", bin_path, json_path);
	return err ? 1 : 0;
}
