/* hostmon-consume: reads hostmon.v1.Envelope records from a Kafka topic (or, with --spool, from hostmond's spool segments), prints them as JSON lines, and with --check accounts seqs per agent instance. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include <librdkafka/rdkafka.h>
#include "proto/hostmon.pb-c.h"
#include "record/pbjson.h"
#include "seqcheck.h"
#include "spoolwalk.h"

struct opts {
	const char *brokers;
	const char *topic;
	long timeout_s; /* stop after this many idle seconds; 0: never */
	int to_end;     /* stop once every partition is read to its end */
	int check;
	int quiet;
	int jsonl;	/* --format jsonl: hostmond's JSON-lines shape */
	char **props;   /* -X NAME=VALUE arguments, nprops of them */
	int nprops;
	const char *spool;	/* --spool PATH: segments instead of Kafka */
	int kafka_only;	/* a flag that only reading Kafka takes was given */
};

struct consume {
	struct opts o;
	struct seqcheck *sc;
	uint64_t records;
	uint64_t undecodable;
	uint64_t corrupt;	/* --spool: records skipped (bad header, CRC mismatch, truncated) */
	int partitions;
	int at_end;      /* partitions read to their end */
	char *eof_seen;  /* per partition id, < partitions */
	struct pbjson_buf line;
	int walk_err;	/* --spool: -errno that ended the walk (out of memory) */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: hostmon-consume --brokers LIST --topic NAME [options]\n"
		"       hostmon-consume --spool PATH [--check] [--quiet] [--format F]\n"
		"Reads TOPIC from the beginning, prints each hostmon.v1.Envelope as a JSON line.\n"
		"  -b, --brokers LIST     bootstrap brokers (host:port,...)\n"
		"  -t, --topic NAME       topic (default hostmon.events)\n"
		"      --from-beginning   start at the oldest offset (the default; the only mode)\n"
		"      --timeout S        stop after S seconds without a record (1..86400)\n"
		"  -e, --end              stop once every partition is read to its end\n"
		"      --check            per agent instance (host_id, boot_id, instance_id) print\n"
		"                         first/last seq, count, gaps, duplicates on stderr;\n"
		"                         exit 1 on any gap, duplicate or undecodable record\n"
		"  -q, --quiet            no JSON lines\n"
		"      --format F         proto (default): the Envelope's fields by their .proto\n"
		"                         names, with \"type\"; jsonl: hostmond's JSON lines, the\n"
		"                         same text its --output jsonl writes\n"
		"  -X NAME=VALUE          a librdkafka property (security.protocol, sasl.*, ssl.*),\n"
		"                         repeatable\n"
		"      --spool PATH       instead of Kafka: the records hostmond spooled, from a\n"
		"                         segment file or a spool directory (its segments, oldest\n"
		"                         first), printed as from the topic; each corrupt record\n"
		"                         (bad header, CRC mismatch, truncated) is named on stderr\n"
		"                         with its file and offset and skipped, the rest printed\n"
		"Exit: 0 ok, 1 --check found a problem or --spool a corrupt record, 2 usage,\n"
		"Kafka or file error.\n");
}

static int parse_seconds(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 86400)
		return -EINVAL;
	*out = v;
	return 0;
}

/* What the flags say together: Kafka's or the spool's, not both. */
static int check_args(int argc, const struct opts *o)
{
	const char *why = NULL;

	if (optind < argc)
		why = "unexpected argument";
	else if (o->spool && o->kafka_only)
		why = "--spool reads files: --brokers, --topic, --from-beginning, --timeout, --end "
		      "and -X are for reading Kafka";
	else if (!o->spool && !o->brokers)
		why = "--brokers is required";
	if (why)
		fprintf(stderr, "hostmon-consume: %s\n", why);
	return why ? -EINVAL : 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "brokers", required_argument, NULL, 'b' },
		{ "topic", required_argument, NULL, 't' },
		{ "from-beginning", no_argument, NULL, 'B' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "end", no_argument, NULL, 'e' },
		{ "check", no_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "format", required_argument, NULL, 'F' },
		{ "spool", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	o->topic = "hostmon.events";
	o->props = calloc(argc > 0 ? argc : 1, sizeof(*o->props));
	if (!o->props)
		return -ENOMEM;
	while ((c = getopt_long(argc, argv, "b:t:eqhX:", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': o->brokers = optarg; o->kafka_only = 1; break;
		case 't': o->topic = optarg; o->kafka_only = 1; break;
		case 'B': o->kafka_only = 1; break;
		case 'e': o->to_end = 1; o->kafka_only = 1; break;
		case 'c': o->check = 1; break;
		case 'q': o->quiet = 1; break;
		case 'F':
			if (strcmp(optarg, "proto") && strcmp(optarg, "jsonl")) {
				fprintf(stderr, "hostmon-consume: --format: expected proto or jsonl, got '%s'\n", optarg);
				exit(2);
			}
			o->jsonl = !strcmp(optarg, "jsonl");
			break;
		case 'X': o->props[o->nprops++] = optarg; o->kafka_only = 1; break;
		case 'S': o->spool = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'T':
			if (parse_seconds(optarg, &o->timeout_s)) {
				fprintf(stderr, "hostmon-consume: --timeout: expected 1..86400 seconds, got '%s'\n", optarg);
				return -EINVAL;
			}
			o->kafka_only = 1;
			break;
		default: return -EINVAL;
		}
	}
	return check_args(argc, o);
}

/* Every partition of the topic from its oldest offset; no consumer group, nothing committed. */
static int assign_all(rd_kafka_t *rk, struct consume *cs)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_partition_list_t *parts;
	rd_kafka_topic_t *t = rd_kafka_topic_new(rk, cs->o.topic, NULL);
	rd_kafka_resp_err_t err;
	int i;

	if (!t)
		return -EINVAL;
	err = rd_kafka_metadata(rk, 0, t, &md, 10000);
	rd_kafka_topic_destroy(t);
	if (!err && (md->topic_cnt != 1 || md->topics[0].err))
		err = md->topic_cnt ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
	if (err) {
		fprintf(stderr, "hostmon-consume: metadata of %s: %s\n", cs->o.topic, rd_kafka_err2str(err));
		if (md)
			rd_kafka_metadata_destroy(md);
		return -EIO;
	}
	cs->partitions = md->topics[0].partition_cnt;
	cs->eof_seen = calloc(cs->partitions ? cs->partitions : 1, 1);
	if (!cs->eof_seen) {
		rd_kafka_metadata_destroy(md);
		return -ENOMEM;
	}
	parts = rd_kafka_topic_partition_list_new(cs->partitions);
	for (i = 0; i < cs->partitions; i++)
		rd_kafka_topic_partition_list_add(parts, cs->o.topic, md->topics[0].partitions[i].id)
			->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_metadata_destroy(md);
	err = rd_kafka_assign(rk, parts);
	rd_kafka_topic_partition_list_destroy(parts);
	if (err) {
		fprintf(stderr, "hostmon-consume: assign %s: %s\n", cs->o.topic, rd_kafka_err2str(err));
		return -EIO;
	}
	return 0;
}

/* -X NAME=VALUE, after the defaults so that they may override them. */
static int set_props(rd_kafka_conf_t *conf, const struct opts *o, char *err, size_t errlen)
{
	char *eq;
	int ret;

	for (int i = 0; i < o->nprops; i++) {
		eq = strchr(o->props[i], '=');
		if (!eq) {
			snprintf(err, errlen, "-X %s: expected NAME=VALUE", o->props[i]);
			return -EINVAL;
		}
		*eq = '\0';
		ret = rd_kafka_conf_set(conf, o->props[i], eq + 1, err, errlen);
		*eq = '=';
		if (ret != RD_KAFKA_CONF_OK)
			return -EINVAL;
	}
	return 0;
}

static rd_kafka_t *consumer_new(const struct opts *o)
{
	const char *brokers = o->brokers;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];
	rd_kafka_t *rk;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "group.id", "hostmon-consume", err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "client.id", "hostmon-consume", err, sizeof(err)) ||
	    set_props(conf, o, err, sizeof(err))) {
		fprintf(stderr, "hostmon-consume: %s\n", err);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "hostmon-consume: %s\n", err);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_poll_set_consumer(rk);
	return rk;
}

/* The envelope as one JSON line: .proto names with "type", or hostmond's own JSON-lines shape. */
static void print_json(struct consume *cs, const Hostmon__V1__Envelope *env)
{
	if (pbjson_write(&cs->line, &env->base, cs->o.jsonl ? PBJSON_LINES : PBJSON_PROTO_TYPED)) {
		fprintf(stderr, "hostmon-consume: out of memory\n");
	} else {
		cs->line.data[cs->line.len] = 0;
		puts(cs->line.data);
	}
	pbjson_buf_reset(&cs->line);
}

/*
 * One record's bytes, from the topic or the spool: printed and (--check)
 * accounted. 0, 1 when they are not an envelope (counted; the caller says
 * where they were), or -ENOMEM.
 */
static int take(struct consume *cs, const void *data, size_t len)
{
	Hostmon__V1__Envelope *env;

	env = hostmon__v1__envelope__unpack(NULL, len, data);
	if (!env) {
		cs->undecodable++;
		return 1;
	}
	cs->records++;
	if (!cs->o.quiet)
		print_json(cs, env);
	if (cs->o.check &&
	    seqcheck__add(cs->sc, env->host_id, env->boot_id, env->instance_id, env->seq)) {
		hostmon__v1__envelope__free_unpacked(env, NULL);
		fprintf(stderr, "hostmon-consume: out of memory\n");
		return -ENOMEM;
	}
	hostmon__v1__envelope__free_unpacked(env, NULL);
	return 0;
}

static int handle(struct consume *cs, const rd_kafka_message_t *m)
{
	int ret = take(cs, m->payload, m->len);

	if (ret == 1)
		fprintf(stderr, "hostmon-consume: %s [%d] offset %lld: not a hostmon.v1.Envelope (%zu bytes)\n",
			cs->o.topic, (int)m->partition, (long long)m->offset, m->len);
	return ret == 1 ? 0 : ret;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Until a signal, --end (every partition at EOF) or --timeout idle seconds. */
static int consume_loop(rd_kafka_t *rk, struct consume *cs)
{
	double idle_since = now_s();
	rd_kafka_message_t *m;
	int err = 0;

	while (!stop && !err) {
		if (cs->o.timeout_s && now_s() - idle_since >= cs->o.timeout_s)
			break;
		m = rd_kafka_consumer_poll(rk, 200);
		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			if (m->partition >= 0 && m->partition < cs->partitions &&
			    !cs->eof_seen[m->partition]) {
				cs->eof_seen[m->partition] = 1;
				cs->at_end++;
			}
			if (cs->o.to_end && cs->at_end >= cs->partitions)
				stop = 1;
		} else if (m->err) {
			fprintf(stderr, "hostmon-consume: %s\n", rd_kafka_message_errstr(m));
			if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
			    m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
				err = -EIO;
		} else {
			idle_since = now_s();
			err = handle(cs, m);
		}
		rd_kafka_message_destroy(m);
	}
	return err;
}

/* One line per instance; 1 when any instance has a gap or a duplicate. */
static int report(struct consume *cs)
{
	struct seqcheck_summary s;
	int bad = cs->undecodable > 0;
	size_t i;

	for (i = 0; i < seqcheck__instances(cs->sc); i++) {
		seqcheck__summary(cs->sc, i, &s);
		fprintf(stderr,
			"instance host_id=%s boot_id=%s instance_id=%s first=%llu last=%llu count=%llu gaps=%llu duplicates=%llu\n",
			s.host_id, s.boot_id, s.instance_id, (unsigned long long)s.first,
			(unsigned long long)s.last, (unsigned long long)s.count,
			(unsigned long long)s.gaps, (unsigned long long)s.duplicates);
		bad |= s.gaps || s.duplicates;
	}
	fprintf(stderr, "total instances=%zu records=%llu undecodable=%llu result=%s\n",
		seqcheck__instances(cs->sc), (unsigned long long)cs->records,
		(unsigned long long)cs->undecodable, bad ? "FAIL" : "ok");
	return bad;
}

/* Flushes stdout; 0, or 2 (said) when the lines could not all be written. */
static int flushed(void)
{
	if (fflush(stdout) != EOF)
		return 0;
	fprintf(stderr, "hostmon-consume: writing to stdout failed: %s\n", strerror(errno));
	return 2;
}

/* Every partition of the topic, printed; the exit status. */
static int run_kafka(struct consume *cs)
{
	rd_kafka_t *rk = consumer_new(&cs->o);
	int rc = 2;

	if (!rk || assign_all(rk, cs) || consume_loop(rk, cs) || flushed())
		goto out;
	rc = cs->o.check ? report(cs) : 0;
out:
	if (rk) {
		rd_kafka_consumer_close(rk);
		rd_kafka_destroy(rk);
	}
	return rc;
}

static void spooled(void *ctx, const char *file, size_t offset, const struct spool_record *rec)
{
	struct consume *cs = ctx;
	int ret;

	/* A signal or a failure: the rest of the walk prints nothing. */
	if (stop || cs->walk_err)
		return;
	ret = take(cs, rec->payload, rec->len);
	if (ret == 1)
		fprintf(stderr, "hostmon-consume: %s offset %zu: not a hostmon.v1.Envelope (%u bytes)\n",
			file, offset, rec->len);
	if (ret < 0)
		cs->walk_err = ret;
}

static void spool_corrupt(void *ctx, const char *file, size_t offset, const char *why)
{
	struct consume *cs = ctx;

	if (stop || cs->walk_err)
		return;
	cs->corrupt++;
	fprintf(stderr, "hostmon-consume: %s offset %zu: corrupt record: %s: skipped\n", file,
		offset, why);
}

/*
 * --spool PATH, printed as the topic would be, until its end or a signal;
 * the exit status (1 when a record was corrupt).
 */
static int run_spool(struct consume *cs)
{
	static const struct spoolwalk_ops ops = { .record = spooled, .corrupt = spool_corrupt };
	int rc;

	if (spoolwalk(cs->o.spool, &ops, cs) || cs->walk_err || flushed())
		return 2;
	rc = cs->o.check ? report(cs) : 0;
	if (cs->corrupt)
		fprintf(stderr, "hostmon-consume: %s: %llu corrupt records skipped, %llu records read\n",
			cs->o.spool, (unsigned long long)cs->corrupt, (unsigned long long)cs->records);
	return cs->corrupt ? 1 : rc;
}

int main(int argc, char **argv)
{
	struct consume cs = { 0 };
	int rc = 2;

	if (parse_args(argc, argv, &cs.o)) {
		free(cs.o.props);
		usage(stderr);
		return 2;
	}
	if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR) {
		fprintf(stderr, "hostmon-consume: signal handlers: %s\n", strerror(errno));
		free(cs.o.props);
		return 1;
	}
	cs.sc = seqcheck__new();
	if (cs.sc)
		rc = cs.o.spool ? run_spool(&cs) : run_kafka(&cs);
	seqcheck__free(cs.sc);
	free(cs.eof_seen);
	pbjson_buf_free(&cs.line);
	free(cs.o.props);
	return rc;
}
