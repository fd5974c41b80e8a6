/* Who a packed hostmon.v1.Envelope is from and when, and this agent instance's id. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "record/envelope.h"
#include "proto/hostmon.pb-c.h"

static const char *event_type(Hostmon__V1__Envelope__EventCase c)
{
	switch (c) {
	case HOSTMON__V1__ENVELOPE__EVENT_METRICS:
		return "metrics";
	case HOSTMON__V1__ENVELOPE__EVENT_SLOW_SYSCALL:
		return "slow_syscall";
	case HOSTMON__V1__ENVELOPE__EVENT_CONN_ERROR:
		return "conn_error";
	case HOSTMON__V1__ENVELOPE__EVENT_PROCESS_CRASH:
		return "process_crash";
	case HOSTMON__V1__ENVELOPE__EVENT_OOM_KILL:
		return "oom_kill";
	case HOSTMON__V1__ENVELOPE__EVENT_AGENT_STATUS:
		return "agent_status";
	default:
		return "";
	}
}

int envelope_head(const uint8_t *buf, size_t len, struct envelope_head *h)
{
	Hostmon__V1__Envelope *env = hostmon__v1__envelope__unpack(NULL, len, buf);

	if (!env)
		return -EINVAL;
	snprintf(h->instance_id, sizeof(h->instance_id), "%s", env->instance_id ? env->instance_id : "");
	h->seq = env->seq;
	h->ts_ns = env->ts_ns;
	h->type = event_type(env->event_case);
	hostmon__v1__envelope__free_unpacked(env, NULL);
	return 0;
}

int envelope_instance_id(char out[37])
{
	uint8_t b[16];
	ssize_t n = getrandom(b, sizeof(b), 0);

	if (n < 0)
		return -errno;
	if (n != sizeof(b))
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}
