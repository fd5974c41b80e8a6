/* What every probe family reports about itself: loaded, attached or failed, and why. */
#ifndef HOSTMON_FAMILY_H
#define HOSTMON_FAMILY_H

enum family_state {
	FAMILY_DISABLED,
	FAMILY_ATTACHED,
	FAMILY_FAILED,
};

struct family_status {
	enum family_state state;
	char error[256];	/* why it failed, with the kernel's errno */
};

const char *family_state_name(enum family_state state);

#endif /* HOSTMON_FAMILY_H */
