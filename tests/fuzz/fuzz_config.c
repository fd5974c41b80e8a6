/* libFuzzer target: arbitrary bytes as a hostmond INI file through config_load_stream. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "core/encode.h"

#define FUZZ_NAME	"<fuzz>"

/* A field the parser wrote must still be a C string inside its array. */
static void check_str(const char *field, size_t size, const char *what)
{
	if (!memchr(field, '\0', size)) {
		fprintf(stderr, "fuzz_config: %s is not NUL-terminated\n", what);
		abort();
	}
}

/* What a successful parse promises: every value passed its key's checks. */
static void check_config(const struct config *cfg)
{
	check_str(cfg->output, sizeof(cfg->output), "output");
	check_str(cfg->socket_path, sizeof(cfg->socket_path), "socket");
	check_str(cfg->spool_dir, sizeof(cfg->spool_dir), "spool_dir");
	check_str(cfg->syscalls_include, sizeof(cfg->syscalls_include), "include");
	check_str(cfg->syscalls_exclude, sizeof(cfg->syscalls_exclude), "exclude");
	if (cfg->interval_s < 1 || cfg->interval_s > 3600 ||
	    (cfg->ringbuf_bytes & (cfg->ringbuf_bytes - 1)) || cfg->ringbuf_bytes < 4096 ||
	    cfg->log_level > LOG_LEVEL_DEBUG || strncmp(cfg->output, "jsonl:", 6) ||
	    cfg->spool_max_bytes < 65536 || !cfg->socket_path[0]) {
		fprintf(stderr, "fuzz_config: accepted an out-of-range value\n");
		abort();
	}
}

/* An accepted file is text: no NUL, no control character but tab, CR and LF, valid UTF-8. */
static void check_text(const uint8_t *data, size_t size)
{
	size_t seq;

	for (size_t i = 0; i < size; i += seq) {
		seq = data[i] < 0x80 ? 1 : encode_utf8_seq((const char *)data + i, size - i);
		if (!seq || data[i] == 0x7f ||
		    (data[i] < 0x20 && data[i] != '\t' && data[i] != '\r' && data[i] != '\n')) {
			fprintf(stderr, "fuzz_config: accepted byte 0x%02x at offset %zu\n", data[i], i);
			abort();
		}
	}
}

/* A rejection must say where: "<fuzz>:LINE: ..." or an I/O message naming the input. */
static void check_error(int ret, const char *err, size_t size)
{
	if (ret != -EINVAL && ret != -ENOMEM && ret != -EIO) {
		fprintf(stderr, "fuzz_config: unexpected return %d (%s)\n", ret, err);
		abort();
	}
	check_str(err, size, "the error message");
	if (strncmp(err, FUZZ_NAME ":", strlen(FUZZ_NAME) + 1)) {
		fprintf(stderr, "fuzz_config: error does not name the input: '%s'\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];
	FILE *f;
	int ret;

	/* fmemopen refuses a zero-length buffer; an empty file is a valid config. */
	f = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "re");
	if (!f)
		abort();
	config_defaults(&cfg);
	memset(err, 'X', sizeof(err));
	ret = config_load_stream(&cfg, f, FUZZ_NAME, err, sizeof(err));
	fclose(f);
	if (ret) {
		check_error(ret, err, sizeof(err));
	} else {
		check_config(&cfg);
		check_text(data, size);
	}
	return 0;
}
