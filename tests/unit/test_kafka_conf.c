/* Unit tests of agent/config/kafka_conf.c through the config file and flags: librdkafka
 * properties passed through, owned ones and inline secrets refused, secrets
 * read from a file or the environment, and never shown. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include "config/config.h"
#include "config/kafka_conf.h"
#include "core/log.h"

#define SECRET	"s3cret-Pa55word"

static char dir[] = "/tmp/test_kafka_conf.XXXXXX";
static char ini[64], secret_file[64], empty_file[64], pem_file[64], log_file[64];
static char err[1024];

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(ini, sizeof(ini), "%s/hostmon.ini", dir);
	snprintf(secret_file, sizeof(secret_file), "%s/secret", dir);
	snprintf(empty_file, sizeof(empty_file), "%s/empty", dir);
	snprintf(pem_file, sizeof(pem_file), "%s/key.pem", dir);
	snprintf(log_file, sizeof(log_file), "%s/log", dir);
	put_file(secret_file, SECRET "\nsecond line\n");
	put_file(empty_file, "");
	put_file(pem_file, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(ini);
	unlink(secret_file);
	unlink(empty_file);
	unlink(pem_file);
	unlink(log_file);
	return rmdir(dir);
}

/* The [kafka] section with body, loaded over defaults; the file's return value. */
static int load_kafka(struct config *cfg, const char *body)
{
	char text[2048];

	snprintf(text, sizeof(text), "[agent]\ninterval = 5\n[kafka]\n%s", body);
	put_file(ini, text);
	config_defaults(cfg);
	err[0] = '\0';
	return config_load_file(cfg, ini, err, sizeof(err));
}

static void must_contain(const char *text, const char *word)
{
	if (!strstr(text, word))
		fail_msg("expected \"%s\" in \"%s\"", word, text);
}

static void must_not_contain(const char *text, const char *word)
{
	if (strstr(text, word))
		fail_msg("\"%s\" must not appear in \"%s\"", word, text);
}

/* The config holds where a secret is, never the secret: not one byte run of it. */
static void config_lacks_secret(const struct config *cfg)
{
	if (memmem(cfg, sizeof(*cfg), SECRET, strlen(SECRET)))
		fail_msg("the secret is stored in struct config");
}

/* Loading body fails with -EINVAL and a message naming line 4 (the first
 * [kafka] line), the key and each further word. */
static void expect_refused(const char *body, const char *key, ...)
{
	struct config cfg;
	char where[400];
	const char *word;
	va_list ap;
	int ret;

	ret = load_kafka(&cfg, body);
	if (ret != -EINVAL)
		fail_msg("%s: expected -EINVAL, got %d (\"%s\")", body, ret, err);
	snprintf(where, sizeof(where), "%s:4: [kafka] %s: ", ini, key);
	must_contain(err, where);
	va_start(ap, key);
	while ((word = va_arg(ap, const char *)) != NULL)
		must_contain(err, word);
	va_end(ap);
	assert_int_equal(cfg.kafka.n, 0);
}

/* What librdkafka holds for name once kc is applied to a fresh conf. */
static const char *applied(const struct kafka_conf *kc, const char *name)
{
	static char value[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	size_t len = sizeof(value);

	assert_int_equal(kafka_conf_apply(kc, conf, err, sizeof(err)), 0);
	assert_int_equal(rd_kafka_conf_get(conf, name, value, &len), RD_KAFKA_CONF_OK);
	rd_kafka_conf_destroy(conf);
	return value;
}

static void test_properties_pass_through_to_librdkafka(void **state)
{
	struct config cfg;
	int ret;

	(void)state;
	ret = load_kafka(&cfg, "security.protocol = SASL_SSL\n"
			       "sasl.mechanism = SCRAM-SHA-512\n"
			       "sasl.username = agent\n"
			       "ssl.ca.location = /etc/ssl/certs\n"
			       "ssl.endpoint.identification.algorithm = none\n"
			       "client.id = host-42\n");
	if (ret)
		fail_msg("expected 0, got %d: %s", ret, err);
	assert_int_equal(cfg.interval_s, 5);
	assert_int_equal(cfg.kafka.n, 6);
	assert_string_equal(cfg.kafka.props[1].name, "sasl.mechanism");
	assert_int_equal(cfg.kafka.props[1].line, 5);
	assert_string_equal(applied(&cfg.kafka, "security.protocol"), "sasl_ssl");
	assert_string_equal(applied(&cfg.kafka, "sasl.mechanisms"), "SCRAM-SHA-512");
	assert_string_equal(applied(&cfg.kafka, "sasl.username"), "agent");
	assert_string_equal(applied(&cfg.kafka, "ssl.ca.location"), "/etc/ssl/certs");
	assert_string_equal(applied(&cfg.kafka, "client.id"), "host-42");
}

static void test_unknown_property_names_key_line_and_librdkafka(void **state)
{
	(void)state;
	expect_refused("sasl.mechanismz = PLAIN\n", "sasl.mechanismz", "unknown key",
		       "No such configuration property", NULL);
	/* A typo of hostmond's own [kafka] keys is no default either. */
	expect_refused("brokrs = k:9092\n", "brokrs", "unknown key", NULL);
}

static void test_bad_value_quotes_value_and_librdkafka_reason(void **state)
{
	(void)state;
	expect_refused("security.protocol = SASL_PLAIN\n", "security.protocol", "'SASL_PLAIN'",
		       "Invalid value", NULL);
	expect_refused("sasl.mechanism = PLAIN,SCRAM-SHA-256\n", "sasl.mechanism",
		       "librdkafka refuses it", NULL);
}

static void test_owned_properties_refused_with_reason(void **state)
{
	static const char *const owned[] = {
		"bootstrap.servers = k:9092", "metadata.broker.list = k:9092",
		"enable.idempotence = false", "acks = 1", "request.required.acks = 1",
		"message.timeout.ms = 300000", "delivery.timeout.ms = 1000",
		"queue.buffering.max.kbytes = 1024", "queue.buffering.max.messages = 10",
		"linger.ms = 5", "statistics.interval.ms = 1000", "transactional.id = x",
		"max.in.flight.requests.per.connection = 10", "delivery.report.only.error = true",
		"dr_msg_cb = x",
	};
	char body[128], key[64];

	(void)state;
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		snprintf(body, sizeof(body), "%s\n", owned[i]);
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(owned[i], " "), owned[i]);
		expect_refused(body, key, "is set by hostmond", NULL);
	}
	expect_refused("bootstrap.servers = k:9092\n", "bootstrap.servers", "[kafka] brokers", NULL);
}

static void test_inline_secret_refused_without_showing_it(void **state)
{
	static const char *const secrets[] = {
		"sasl.password", "ssl.key.password", "ssl.keystore.password",
		"sasl.oauthbearer.client.secret", "ssl.key.pem", "sasl.oauthbearer.config",
	};
	char body[128], hint[96];

	(void)state;
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		snprintf(body, sizeof(body), "%s = " SECRET "\n", secrets[i]);
		snprintf(hint, sizeof(hint), "%s_file = PATH", secrets[i]);
		expect_refused(body, secrets[i], "is a secret", hint, "_env = VARIABLE", NULL);
		must_not_contain(err, SECRET);
	}
}

static void test_secret_from_file_is_its_first_line(void **state)
{
	struct config cfg;
	char body[512];

	(void)state;
	snprintf(body, sizeof(body), "sasl.password_file = %s\nssl.key.pem_file = %s\n",
		 secret_file, pem_file);
	assert_int_equal(load_kafka(&cfg, body), 0);
	assert_int_equal(cfg.kafka.props[0].source, KAFKA_CONF_FILE);
	assert_string_equal(cfg.kafka.props[0].name, "sasl.password");
	config_lacks_secret(&cfg);
	assert_string_equal(applied(&cfg.kafka, "sasl.password"), SECRET);
	/* A PEM is the whole file (a first line alone is no key), trailing newlines cut. */
	assert_string_equal(applied(&cfg.kafka, "ssl.key.pem"),
			    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----");
}

static void test_secret_file_missing_or_empty_is_an_error(void **state)
{
	char body[512];

	(void)state;
	snprintf(body, sizeof(body), "sasl.password_file = %s/none\n", dir);
	expect_refused(body, "sasl.password_file", "/none'", "cannot be opened",
		       "No such file or directory", NULL);
	snprintf(body, sizeof(body), "sasl.password_file = %s\n", empty_file);
	expect_refused(body, "sasl.password_file", "is empty", NULL);
}

static void test_secret_from_environment(void **state)
{
	struct config cfg;

	(void)state;
	setenv("TEST_KAFKA_PASS", SECRET, 1);
	setenv("TEST_KAFKA_USER", "api-key-7", 1);
	assert_int_equal(load_kafka(&cfg, "sasl.password_env = TEST_KAFKA_PASS\n"
					  "sasl.username_env = TEST_KAFKA_USER\n"), 0);
	config_lacks_secret(&cfg);
	assert_string_equal(applied(&cfg.kafka, "sasl.password"), SECRET);
	/* Not a secret, but it may come from the environment too. */
	assert_string_equal(applied(&cfg.kafka, "sasl.username"), "api-key-7");
	unsetenv("TEST_KAFKA_USER");
	unsetenv("TEST_KAFKA_PASS");
	expect_refused("sasl.password_env = TEST_KAFKA_PASS\n", "sasl.password_env",
		       "'TEST_KAFKA_PASS'", "not set", NULL);
	setenv("TEST_KAFKA_PASS", "", 1);
	expect_refused("sasl.password_env = TEST_KAFKA_PASS\n", "sasl.password_env", "empty", NULL);
	unsetenv("TEST_KAFKA_PASS");
}

static void test_duplicate_in_file_refused_flag_overrides_file(void **state)
{
	char *argv[] = { "hostmond", "--config", ini, "--set", "kafka.sasl.username=other",
			 "--set", "kafka.sasl.mechanism=PLAIN", NULL };
	bool check, version;
	struct config cfg;

	(void)state;
	assert_int_equal(load_kafka(&cfg, "sasl.username = a\nsasl.username = b\n"), -EINVAL);
	must_contain(err, ":5: [kafka] sasl.username: duplicate key, sasl.username already set on line 4");
	assert_int_equal(load_kafka(&cfg, "sasl.username = a\n"), 0);
	config_defaults(&cfg);
	assert_int_equal(config_parse_args(&cfg, 7, argv, &check, &version, err, sizeof(err)), 0);
	assert_int_equal(cfg.kafka.n, 2);
	assert_string_equal(applied(&cfg.kafka, "sasl.username"), "other");
	assert_string_equal(applied(&cfg.kafka, "sasl.mechanisms"), "PLAIN");
}

static void test_set_flag_refuses_like_the_file(void **state)
{
	char *argv[] = { "hostmond", "--set", "kafka.acks=0", NULL };
	char *inline_secret[] = { "hostmond", "--set", "kafka.sasl.password=" SECRET, NULL };
	bool check, version;
	struct config cfg;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(config_parse_args(&cfg, 3, argv, &check, &version, err, sizeof(err)),
			 -EINVAL);
	must_contain(err, "--set: [kafka] acks: is set by hostmond");
	assert_int_equal(config_parse_args(&cfg, 3, inline_secret, &check, &version, err,
					   sizeof(err)), -EINVAL);
	must_contain(err, "--set: [kafka] sasl.password: is a secret");
	must_not_contain(err, SECRET);
}

/* --check-config's last step: librdkafka builds a producer from them all. */
static void test_properties_checked_together(void **state)
{
	char *argv[] = { "hostmond", "--set", "kafka.security.protocol=SASL_PLAINTEXT", "--set",
			 "kafka.sasl.mechanism=PLAIN", NULL };
	char *bad_mech[] = { "hostmond", "--set", "kafka.security.protocol=SASL_PLAINTEXT", "--set",
			     "kafka.sasl.mechanism=PLAN", NULL };
	bool check, version;
	struct config cfg;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(config_parse_args(&cfg, 5, argv, &check, &version, err, sizeof(err)),
			 -EINVAL);
	must_contain(err, "[kafka]: librdkafka refuses these properties together: "
			  "sasl.username and sasl.password must be set");
	config_defaults(&cfg);
	assert_int_equal(config_parse_args(&cfg, 5, bad_mech, &check, &version, err, sizeof(err)),
			 -EINVAL);
	must_contain(err, "Unsupported SASL mechanism: PLAN");
}

static void diff_names(void *ctx, const char *section, const char *key)
{
	char *out = ctx;

	snprintf(out + strlen(out), 256 - strlen(out), "%s.%s;", section, key);
}

static void test_diff_names_changed_added_and_removed_properties(void **state)
{
	struct config *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char names[256] = "";
	char body[512];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	snprintf(body, sizeof(body), "sasl.username = a\nclient.id = x\nsasl.password_file = %s\n",
		 secret_file);
	assert_int_equal(load_kafka(a, body), 0);
	snprintf(body, sizeof(body), "sasl.username = b\nsasl.password_file = %s\ndebug = broker\n",
		 secret_file);
	assert_int_equal(load_kafka(b, body), 0);
	config_diff(a, b, diff_names, names);
	assert_string_equal(names, "kafka.sasl.username;kafka.client.id;kafka.debug;");
	free(a);
	free(b);
}

static void test_log_mask_hides_every_occurrence(void **state)
{
	char line[] = "auth " SECRET " failed, retry with " SECRET "!";

	(void)state;
	log_mask(line, SECRET);
	assert_string_equal(line, "auth *************** failed, retry with ***************!");
	log_mask(line, "");
	assert_string_equal(line, "auth *************** failed, retry with ***************!");
}

/* Secrets applied to librdkafka are masked in every later log line, whatever logs them. */
static void test_applied_secret_never_reaches_the_log(void **state)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int saved = dup(2), fd;
	struct config cfg;
	char body[512], text[1024] = "";
	FILE *f;

	(void)state;
	snprintf(body, sizeof(body), "sasl.password_file = %s\n", secret_file);
	assert_int_equal(load_kafka(&cfg, body), 0);
	assert_int_equal(kafka_conf_apply(&cfg.kafka, conf, err, sizeof(err)), 0);
	rd_kafka_conf_destroy(conf);
	fd = open(log_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, 2);
	log_error("kafka", HM_E_KAFKA_CLIENT, LOG_FIELDS(LF_STR("sasl", SECRET)),
		  "SASL: server says password '%s' is wrong", SECRET);
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("kafka", "debug: %s", SECRET);
	dup2(saved, 2);
	close(fd);
	close(saved);
	f = fopen(log_file, "r");
	assert_non_null(f);
	text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
	fclose(f);
	must_contain(text, "server says password '***************' is wrong");
	must_contain(text, "debug: ***************");
	must_contain(text, " sasl=***************");
	must_not_contain(text, SECRET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_properties_pass_through_to_librdkafka),
		cmocka_unit_test(test_unknown_property_names_key_line_and_librdkafka),
		cmocka_unit_test(test_bad_value_quotes_value_and_librdkafka_reason),
		cmocka_unit_test(test_owned_properties_refused_with_reason),
		cmocka_unit_test(test_inline_secret_refused_without_showing_it),
		cmocka_unit_test(test_secret_from_file_is_its_first_line),
		cmocka_unit_test(test_secret_file_missing_or_empty_is_an_error),
		cmocka_unit_test(test_secret_from_environment),
		cmocka_unit_test(test_duplicate_in_file_refused_flag_overrides_file),
		cmocka_unit_test(test_set_flag_refuses_like_the_file),
		cmocka_unit_test(test_properties_checked_together),
		cmocka_unit_test(test_diff_names_changed_added_and_removed_properties),
		cmocka_unit_test(test_log_mask_hides_every_occurrence),
		cmocka_unit_test(test_applied_secret_never_reaches_the_log),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
