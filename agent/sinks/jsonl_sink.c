/* JSON lines to a file or stdout; buffered, flushed by the event loop and per line on a tty. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sinks/jsonl_sink.h"

struct jsonl_sink {
	FILE *out;
	char *path;
	int line_flush;
	uint64_t pending;	/* lines buffered since the last successful flush */
	size_t buffered;	/* their bytes */
	uint64_t lost;
};

struct jsonl_sink *jsonl_sink__new(const char *spec)
{
	struct jsonl_sink *sink;
	const char *path;

	if (strncmp(spec, "jsonl:", 6) != 0 || !spec[6]) {
		errno = EINVAL;
		return NULL;
	}
	path = spec + 6;
	sink = calloc(1, sizeof(*sink));
	if (!sink)
		return NULL;
	sink->path = strdup(path);
	if (!sink->path)
		goto err;
	if (strcmp(path, "-") == 0) {
		sink->out = stdout;
		sink->line_flush = isatty(STDOUT_FILENO);
	} else {
		sink->out = fopen(path, "ae");
		if (!sink->out)
			goto err;
	}
	/* A batch of lines goes out in one write (pipeline__flush), not one per 4 KiB. */
	if (!sink->line_flush && setvbuf(sink->out, NULL, _IOFBF, JSONL_SINK_BUFFER))
		goto err;
	return sink;
err:
	jsonl_sink__free(sink);
	return NULL;
}

void jsonl_sink__free(struct jsonl_sink *sink)
{
	int saved = errno;

	if (!sink)
		return;
	if (sink->out && sink->out != stdout)
		(void)fclose(sink->out); /* every write was flushed and checked */
	free(sink->path);
	free(sink);
	errno = saved;
}

/* stdio buffers lines: when writing the buffer fails, every line in it is lost. */
static int lose_pending(struct jsonl_sink *sink)
{
	int err = errno ? -errno : -EIO;

	sink->lost += sink->pending;
	sink->pending = 0;
	sink->buffered = 0;
	clearerr(sink->out);
	return err;
}

int jsonl_sink__write(struct jsonl_sink *sink, const char *line, size_t len)
{
	if (!line) {	/* the record could not be encoded */
		sink->lost++;
		return -ENOMEM;
	}
	sink->pending++;
	sink->buffered += len + 1;
	errno = 0;
	if (fwrite(line, 1, len, sink->out) != len || putc('\n', sink->out) == EOF)
		return lose_pending(sink);
	return sink->line_flush ? jsonl_sink__flush(sink) : 0;
}

int jsonl_sink__flush(struct jsonl_sink *sink)
{
	errno = 0;
	if (fflush(sink->out) == EOF)
		return lose_pending(sink);
	sink->pending = 0;
	sink->buffered = 0;
	return 0;
}

size_t jsonl_sink__buffered(const struct jsonl_sink *sink)
{
	return sink->buffered;
}

uint64_t jsonl_sink__pending(const struct jsonl_sink *sink)
{
	return sink->pending;
}

uint64_t jsonl_sink__lost(const struct jsonl_sink *sink)
{
	return sink->lost;
}

const char *jsonl_sink__path(const struct jsonl_sink *sink)
{
	return sink->path;
}
