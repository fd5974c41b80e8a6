/* host_id from the config or /etc/machine-id, boot_id from the kernel. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "core/hostinfo.h"

static int read_first_line(const char *path, char *out, size_t len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-ret));
		return ret;
	}
	if (!fgets(out, (int)len, f)) {
		snprintf(err, errlen, "%s is empty", path);
		ret = -ENODATA;
	} else {
		out[strcspn(out, "\r\n")] = 0;
		if (!out[0]) {
			snprintf(err, errlen, "%s is empty", path);
			ret = -ENODATA;
		}
	}
	(void)fclose(f); /* read only */
	return ret;
}

int hostinfo_read(struct hostinfo *hi, const char *configured_host_id, char *err, size_t errlen)
{
	int ret;

	if (configured_host_id && configured_host_id[0]) {
		snprintf(hi->host_id, sizeof(hi->host_id), "%s", configured_host_id);
	} else {
		ret = read_first_line("/etc/machine-id", hi->host_id, sizeof(hi->host_id),
				      err, errlen);
		if (ret)
			return ret;
	}
	return read_first_line("/proc/sys/kernel/random/boot_id", hi->boot_id,
			       sizeof(hi->boot_id), err, errlen);
}
