/*
 * pidcache_cost [ROUNDS]: what the process metadata cache costs on this host:
 * a miss (reading /proc/PID/{stat,comm,exe,cgroup} of a live process), a hit,
 * and the heap of a full default-sized cache (4096 entries of this host's
 * real paths). Medians over ROUNDS (default 5). Needs no BPF; run as root to
 * read every process's exe.
 */
#include <ctype.h>
#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "probes/pidcache.h"

#define MAX_KEYS	4096
#define HITS		2000000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The live processes as the kernel would name them: pid and start (from starttime ticks). */
static size_t live_keys(struct pidcache_key *keys, size_t max)
{
	long ns_per_tick = 1000000000L / sysconf(_SC_CLK_TCK);
	unsigned long long ticks;
	char path[300], buf[1024], *p;
	struct dirent *d;
	size_t n = 0;
	DIR *dir = opendir("/proc");
	FILE *f;

	while (dir && n < max && (d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		for (int field = 2; p && field < 22; field++)
			p = strchr(p + 1, ' ');
		if (!p || sscanf(p, " %llu", &ticks) != 1)
			continue;
		keys[n++] = (struct pidcache_key){ .pid = (uint32_t)atoi(d->d_name),
						   .start_ns = ticks * (uint64_t)ns_per_tick };
	}
	if (dir)
		closedir(dir);
	return n;
}

/* A bench has no fallback for a cache that cannot grow: it stops. */
static void lookup(struct pidcache *c, const struct pidcache_key *key, struct pidcache_meta *m)
{
	if (!c || pidcache__lookup(c, key, m)) {
		fprintf(stderr, "pidcache_cost: out of memory\n");
		exit(1);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	static struct pidcache_key keys[MAX_KEYS];
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	double miss_us[64], hit_ns[64];
	struct pidcache_meta m;
	struct pidcache_stats st;
	struct mallinfo2 before, after;
	struct pidcache *c;
	size_t n = live_keys(keys, MAX_KEYS), gone;
	uint64_t t;

	if (rounds < 1 || rounds > 64 || n == 0) {
		fprintf(stderr, "usage: %s [ROUNDS 1..64] (and /proc readable)\n", argv[0]);
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		c = pidcache__new(4096, "/proc");
		t = now_ns();
		for (size_t i = 0; i < n; i++)
			lookup(c, &keys[i], &m);
		miss_us[r] = (double)(now_ns() - t) / (double)n / 1000.0;
		t = now_ns();
		for (size_t i = 0; i < HITS; i++)
			lookup(c, &keys[i % n], &m);
		hit_ns[r] = (double)(now_ns() - t) / HITS;
		pidcache__stats(c, &st);
		gone = st.gone;
		pidcache__free(c);
	}
	printf("processes: %zu (%zu gone while read)\n", n, gone);
	printf("miss: %.1f us (median of %d rounds)\n", median(miss_us, rounds), rounds);
	printf("hit:  %.0f ns (median of %d rounds, %d lookups each)\n", median(hit_ns, rounds),
	       rounds, HITS);
	/* A full default cache: the live processes again and again, as after as many execs. */
	before = mallinfo2();
	c = pidcache__new(4096, "/proc");
	for (uint64_t i = 0; i < 4096; i++) {
		struct pidcache_key k = keys[i % n];

		k.exec_id = i / n;
		lookup(c, &k, &m);
	}
	after = mallinfo2();
	pidcache__stats(c, &st);
	printf("full: %u entries, %zu bytes of heap (%zu per entry)\n", st.entries,
	       after.uordblks - before.uordblks, (after.uordblks - before.uordblks) / st.entries);
	pidcache__free(c);
	return 0;
}
