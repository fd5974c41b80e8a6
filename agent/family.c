/* Probe family states, as names for records and logs. */
#include "family.h"

const char *family_state_name(enum family_state state)
{
	switch (state) {
	case FAMILY_DISABLED:
		return "disabled";
	case FAMILY_ATTACHED:
		return "attached";
	case FAMILY_FAILED:
		return "failed";
	}
	return "unknown";
}
