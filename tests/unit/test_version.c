/* Unit tests of agent/core/version.c: librdkafka's builtin.features read as TLS, SASL and codecs. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/version.h"

static char out[512];

static void test_full_feature_list_names_each_mechanism_and_codec(void **state)
{
	(void)state;
	assert_true(version_describe_features("gzip,snappy,ssl,sasl,regex,lz4,sasl_gssapi,sasl_plain,"
					      "sasl_scram,plugins,zstd,sasl_oauthbearer",
					      out, sizeof(out)) > 0);
	assert_string_equal(out, "tls: OpenSSL\n"
				 "sasl: PLAIN SCRAM-SHA-256 SCRAM-SHA-512 OAUTHBEARER GSSAPI\n"
				 "compression: gzip snappy lz4 zstd\n");
}

/* "sasl" alone (Cyrus present or not) and "ssl" inside another token are no mechanism or TLS. */
static void test_only_whole_tokens_count(void **state)
{
	(void)state;
	assert_true(version_describe_features("sasl,sasl_plainx,xssl,lz4", out, sizeof(out)) > 0);
	assert_string_equal(out, "tls: none\nsasl: none\ncompression: lz4\n");
}

static void test_empty_list_says_none_for_each(void **state)
{
	(void)state;
	assert_true(version_describe_features("", out, sizeof(out)) > 0);
	assert_string_equal(out, "tls: none\nsasl: none\ncompression: none\n");
}

static void test_too_small_buffer_is_enospc(void **state)
{
	(void)state;
	assert_int_equal(version_describe_features("gzip,ssl", out, 12), -ENOSPC);
}

/* What the linked librdkafka offers is printed after the fixed first line scripts read. */
static void test_print_starts_with_name_and_version(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(version_print(f), 0);
	fclose(f);
	assert_true(strncmp(buf, "hostmond " HOSTMON_VERSION "\n", strlen("hostmond " HOSTMON_VERSION "\n")) == 0);
	assert_non_null(strstr(buf, "\ncommit: "));
	assert_non_null(strstr(buf, "\ncompression: "));
	assert_non_null(strstr(buf, "\nkafka builtin.features: "));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_feature_list_names_each_mechanism_and_codec),
		cmocka_unit_test(test_only_whole_tokens_count),
		cmocka_unit_test(test_empty_list_says_none_for_each),
		cmocka_unit_test(test_too_small_buffer_is_enospc),
		cmocka_unit_test(test_print_starts_with_name_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
