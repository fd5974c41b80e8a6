/* Dropping capabilities after attach (libcap-ng), checked by reading them back. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <cap-ng.h>
#include "privs.h"

int privs_drop(bool *bounds, char *err, size_t errlen)
{
	capng_select_t sets = CAPNG_SELECT_CAPS;

	/* Nothing exec'ed from here on (none is) can gain privileges by setuid or file caps. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -errno;
	}
	if (capng_get_caps_process()) {
		snprintf(err, errlen, "reading the process's capabilities failed");
		return -EIO;
	}
	/*
	 * Clearing the bounding set takes CAP_SETPCAP. Without it (a service
	 * manager bounded us already) what is left there is inert: with
	 * no_new_privs and nothing permitted, no exec can bring it back.
	 */
	*bounds = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	if (*bounds)
		sets = CAPNG_SELECT_ALL;
	capng_clear(sets);
	if (capng_apply(sets)) {
		snprintf(err, errlen, "dropping capabilities (capng_apply) failed");
		return -EPERM;
	}
	/* Trust what the kernel reports, not what was asked. */
	if (capng_get_caps_process()) {
		snprintf(err, errlen, "reading capabilities back failed");
		return -EIO;
	}
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE ||
	    (*bounds && capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE)) {
		snprintf(err, errlen, "capabilities still held after dropping them");
		return -EPERM;
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		snprintf(err, errlen, "no_new_privs is not set after setting it");
		return -EPERM;
	}
	return 0;
}
