/* hostmond's INI file: read with libinih, line by line, refusing what is not text,
 * duplicate keys and files others could have written; each key through the table. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <ini.h>
#include "config/config.h"
#include "config/config_table.h"
#include "core/encode.h"

/* Longer than any valid line (a full syscall list), so an overlong value gets
 * its own message instead of a split line. */
#define CONFIG_LINE_MAX		4096

struct config_file {
	struct config *cfg;
	FILE *f;
	struct config_ctx ctx;		/* file, line and err for messages */
	char raw[CONFIG_LINE_MAX];	/* the current line as written, trimmed */
	int ret;			/* first error of the reader or handler */
	int seen[];			/* line where each key was set, 0 = not yet */
};

/* libinih's knobs are process-wide; they are set only while a file is parsed
 * (at start-up, single-threaded) and put back after. */
struct config_ini_knobs {
	bool multiline, stop_on_error, use_stack, no_value;
	int max_line;
};

static struct config_ini_knobs config_ini_swap(struct config_ini_knobs k)
{
	struct config_ini_knobs old = {
		ini_allow_multiline, ini_stop_on_first_error, ini_use_stack,
		ini_allow_no_value, ini_max_line,
	};

	ini_allow_multiline = k.multiline;
	ini_stop_on_first_error = k.stop_on_error;
	ini_use_stack = k.use_stack;
	ini_allow_no_value = k.no_value;
	ini_max_line = k.max_line;
	return old;
}

/* An error about the line itself, quoted as written. */
static void config_line_bad(struct config_file *st, const char *reason)
{
	struct config_ctx c = st->ctx;

	c.value = st->raw;
	st->ret = config_bad(&c, "%s", reason);
}

/*
 * A config is text: NUL, control characters other than tab, CR and LF, and
 * bytes that are not UTF-8 mean a binary or damaged file (libinih would read
 * a NUL as the end of the line). Returns 0, or -EINVAL naming the first bad
 * byte's column (1-based, in bytes).
 */
static int config_line_bytes(const struct config_ctx *c, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, seq;

	for (i = 0; i < n; i += seq) {
		if (u[i] == '\0')
			return config_bad(c, "NUL byte at column %zu", i + 1);
		if ((u[i] < 0x20 && u[i] != '\t' && u[i] != '\r' && u[i] != '\n') || u[i] == 0x7f)
			return config_bad(c, "control character 0x%02x at column %zu", u[i], i + 1);
		seq = u[i] < 0x80 ? 1 : encode_utf8_seq(s + i, n - i);
		if (!seq)
			return config_bad(c, "invalid UTF-8 byte 0x%02x at column %zu", u[i], i + 1);
	}
	return 0;
}

/* One line of at most num - 1 bytes with its newline, NUL-terminated; returns
 * its length (NUL bytes included), or 0 at the end of the file. */
static size_t config_getline(char *str, int num, FILE *f)
{
	size_t n = 0;
	int ch = 0;

	while (n + 1 < (size_t)num && ch != '\n' && (ch = getc(f)) != EOF)
		str[n++] = (char)ch;
	str[n] = '\0';
	return n;
}

/* fgets for libinih that counts lines, refuses bad bytes, keeps the raw text
 * for messages and refuses lines that do not fit instead of letting them be
 * split. */
static char *config_ini_read(char *str, int num, void *stream)
{
	struct config_file *st = stream;
	bool longer;
	size_t n;

	errno = 0;
	n = config_getline(str, num, st->f);
	if (ferror(st->f)) {
		st->ret = errno ? -errno : -EIO;
		snprintf(st->ctx.err, st->ctx.errlen, "%s: cannot read: %s",
			 st->ctx.file, strerror(-st->ret));
		return NULL;
	}
	if (!n)
		return NULL;
	st->ctx.line++;
	longer = str[n - 1] != '\n' && getc(st->f) != EOF;
	/* Bad bytes first (a binary file has long "lines"); the last 3 bytes of a
	 * cut line may be a UTF-8 sequence cut short. */
	st->ret = config_line_bytes(&st->ctx, str, longer && n > 3 ? n - 3 : n);
	if (!st->ret && longer)
		st->ret = config_bad(&st->ctx, "line longer than %d bytes", CONFIG_LINE_MAX - 2);
	if (st->ret)
		return NULL;
	snprintf(st->raw, sizeof(st->raw), "%s", str);
	config_trim(st->raw);
	return str;
}

static int config_ini_handler(void *user, const char *section, const char *name,
			      const char *value)
{
	struct config_file *st = user;
	struct config_ctx c = st->ctx;
	const struct config_key *k;

	/* libinih also takes "key: value"; ours are "key = value" only. */
	if (st->raw[strcspn(st->raw, "=:")] != '=') {
		config_line_bad(st, "is not 'key = value'");
		return 0;
	}
	c.section = section;
	c.key = name;
	c.value = value;
	if (config_is_kafka_prop(&c)) {
		st->ret = config_set_kafka(st->cfg, &c) ? -EINVAL : 0;
		return !st->ret;
	}
	if (config_lookup(&c, &k)) {
		st->ret = -EINVAL;
		return 0;
	}
	if (st->seen[k - config_keys]) {
		c.value = NULL;
		st->ret = config_bad(&c, "duplicate key, already set on line %d",
				     st->seen[k - config_keys]);
		return 0;
	}
	st->seen[k - config_keys] = c.line;
	st->ret = config_apply(st->cfg, k, &c);
	return !st->ret;
}

/* Turns libinih's result into ours: our own error first, then its syntax error
 * (a line that is neither [section] nor key = value). */
static int config_ini_result(struct config_file *st, int ret)
{
	if (st->ret)
		return st->ret;
	if (ret == -2) {
		snprintf(st->ctx.err, st->ctx.errlen, "%s: out of memory", st->ctx.file);
		return -ENOMEM;
	}
	if (ret) {
		/* Parsing stopped at that line, so raw holds it. */
		st->ctx.line = ret;
		config_line_bad(st, "is not '[section]' or 'key = value'");
		return st->ret;
	}
	return 0;
}

/*
 * The config says what runs as root and where records go: a file anyone but
 * root (or the user running hostmond) could have written is refused.
 */
static int config_file_trusted(FILE *f, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fileno(f), &st)) {
		int ret = -errno;

		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(-ret));
		return ret;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, not by root: refused (chown root)", path,
			 (unsigned int)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s: writable by %s (mode %04o): refused (chmod go-w)", path,
			 st.st_mode & S_IWOTH ? "others" : "its group",
			 (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int config_load_stream(struct config *cfg, FILE *f, const char *name, char *err,
		       size_t errlen)
{
	static const struct config_ini_knobs knobs = {
		.multiline = false, .stop_on_error = true, .use_stack = true,
		.no_value = false, .max_line = CONFIG_LINE_MAX,
	};
	struct config_file *st;
	struct config_ini_knobs old;
	int ret;

	st = calloc(1, sizeof(*st) + config_nkeys * sizeof(st->seen[0]));
	if (!st) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	st->cfg = cfg;
	st->f = f;
	st->ctx = (struct config_ctx){ .file = name, .err = err, .errlen = errlen };
	old = config_ini_swap(knobs);
	ret = ini_parse_stream(config_ini_read, st, config_ini_handler, st);
	config_ini_swap(old);
	ret = config_ini_result(st, ret);
	free(st);
	return ret;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	ret = config_file_trusted(f, path, err, errlen);
	if (!ret)
		ret = config_load_stream(cfg, f, path, err, errlen);
	(void)fclose(f); /* read only: nothing left to lose */
	return ret;
}
