/* exiter CODE: exits normally with status CODE (0..255); gives non-zero exits a known comm. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	char *end;
	long code;

	errno = 0;
	code = argc == 2 ? strtol(argv[1], &end, 10) : -1;
	if (argc != 2 || errno || end == argv[1] || *end || code < 0 || code > 255) {
		fprintf(stderr, "usage: %s CODE (0..255)\n", argv[0]);
		return 2;
	}
	return (int)code;
}
