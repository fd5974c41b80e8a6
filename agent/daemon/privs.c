/* Dropping capabilities after attach (libcap-ng), checked by reading them back. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <cap-ng.h>
#include "daemon/privs.h"

int privs_bpf_needs_cap(int map_fd)
{
	unsigned char key[256];
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		capng_clear(CAPNG_SELECT_CAPS);
		if (capng_apply(CAPNG_SELECT_CAPS))
			_exit(2);
		/* A ring buffer has no keys: EPERM or not is all this asks. */
		_exit(bpf_map_get_next_key(map_fd, NULL, key) && errno == EPERM ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		return -ECHILD;
	return WEXITSTATUS(status);
}

/* Only CAP_BPF, in the effective and permitted sets (and the bounding set if it was cleared). */
static bool only_cap_bpf(bool bounds)
{
	for (unsigned int cap = 0; cap <= CAP_LAST_CAP; cap++) {
		bool want = cap == CAP_BPF;

		if (capng_have_capability(CAPNG_EFFECTIVE, cap) != want ||
		    capng_have_capability(CAPNG_PERMITTED, cap) != want ||
		    capng_have_capability(CAPNG_INHERITABLE, cap) ||
		    (bounds && capng_have_capability(CAPNG_BOUNDING_SET, cap) != want))
			return false;
	}
	return true;
}

int privs_drop(bool keep_bpf, bool *bounds, char *err, size_t errlen)
{
	capng_select_t sets = CAPNG_SELECT_CAPS;
	bool left;

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
	if (keep_bpf)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
			     (*bounds ? CAPNG_BOUNDING_SET : 0), CAP_BPF);
	if (capng_apply(sets)) {
		snprintf(err, errlen, "dropping capabilities (capng_apply) failed");
		return -EPERM;
	}
	/* Trust what the kernel reports, not what was asked. */
	if (capng_get_caps_process()) {
		snprintf(err, errlen, "reading capabilities back failed");
		return -EIO;
	}
	left = keep_bpf ? !only_cap_bpf(*bounds) :
			  capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE ||
			  (*bounds && capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE);
	if (left) {
		snprintf(err, errlen, "capabilities still held after dropping them");
		return -EPERM;
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		snprintf(err, errlen, "no_new_privs is not set after setting it");
		return -EPERM;
	}
	return 0;
}
