/*
 * workload_resolve [--walk] [--pid PID] CGID...: names each cgroup id as
 * hostmond's cache does (agent/probes/workload_cache.c, the cgroup2 mount from
 * /proc/self/mountinfo), one line an id:
 * CGID|runtime|id|short id|pod uid|qos|unit|name|gone, or CGID|error|ERRNO.
 * --walk: no file handles, the tree is walked. --pid: PID is said to be in
 * the cgroup (workload_cache__lookup_pid). A last line
 * "stats|handle_opens|walks|v1_fallbacks|pid_paths" says how they were found.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probes/workload_cache.h"

static int resolve(struct workload_cache *c, const char *arg, uint32_t pid)
{
	const struct workload *w;
	unsigned long long cgid;
	char *end;
	int err;

	errno = 0;
	cgid = strtoull(arg, &end, 10);
	if (errno || end == arg || *end) {
		fprintf(stderr, "workload_resolve: not a cgroup id: %s\n", arg);
		return 2;
	}
	err = workload_cache__lookup_pid(c, cgid, pid, &w);
	if (err) {
		printf("%llu|error|%d\n", cgid, -err);
		return 0;
	}
	printf("%llu|%s|%s|%s|%s|%s|%s|%s|%d\n", cgid, workload_runtime_name(w->runtime), w->id,
	       w->short_id, w->pod_uid, workload_qos_name(w->qos), w->unit, w->name, w->gone);
	return 0;
}

int main(int argc, char **argv)
{
	struct workload_cache_stats st;
	struct workload_cache *c;
	int i = 1, rc = 0;
	uint32_t pid = 0;

	c = workload_cache__new(NULL, NULL, 0);
	if (!c) {
		fprintf(stderr, "workload_resolve: no cgroup2 mount: %s\n", strerror(errno));
		return 1;
	}
	if (i < argc && !strcmp(argv[i], "--walk")) {
		workload_cache__set_handles(c, false);
		i++;
	}
	if (i + 1 < argc && !strcmp(argv[i], "--pid")) {
		pid = (uint32_t)strtoul(argv[i + 1], NULL, 10);
		i += 2;
	}
	for (; i < argc && !rc; i++)
		rc = resolve(c, argv[i], pid);
	workload_cache__stats(c, &st);
	printf("stats|%llu|%llu|%llu|%llu\n", (unsigned long long)st.handle_opens,
	       (unsigned long long)st.walks, (unsigned long long)st.v1_fallbacks,
	       (unsigned long long)st.pid_paths);
	workload_cache__free(c);
	return rc;
}
