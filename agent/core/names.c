/* Names of syscalls (from the generated table), signals and errnos (from glibc). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include "core/names.h"

struct syscall_name {
	unsigned int nr;
	const char *name;
};

static const struct syscall_name syscall_table[] = {
#include "syscall_table.h"
};

#define SYSCALL_TABLE_LEN (sizeof(syscall_table) / sizeof(syscall_table[0]))
#define NAMES_NUMBERED 512

int names_syscall_nr(const char *name)
{
	for (size_t i = 0; i < SYSCALL_TABLE_LEN; i++)
		if (strcmp(syscall_table[i].name, name) == 0)
			return (int)syscall_table[i].nr;
	return -1;
}

/* Fallback names are built once per number and kept, so callers may hold them. */
static const char *numbered(const char *prefix, int n, char (*slots)[24])
{
	if (n < 0 || n >= NAMES_NUMBERED)
		return prefix[0] == 's' ? "sys_unknown" : "unknown";
	if (!slots[n][0])
		snprintf(slots[n], sizeof(slots[n]), "%s%d", prefix, n);
	return slots[n];
}

/* The table by number, made once: a name per event without a search. */
static const char *by_nr[NAMES_NUMBERED];
static pthread_once_t by_nr_made = PTHREAD_ONCE_INIT;

static void make_by_nr(void)
{
	for (size_t i = 0; i < SYSCALL_TABLE_LEN; i++)
		if (syscall_table[i].nr < NAMES_NUMBERED)
			by_nr[syscall_table[i].nr] = syscall_table[i].name;
}

const char *names_syscall(unsigned int nr)
{
	static char slots[NAMES_NUMBERED][24];

	pthread_once(&by_nr_made, make_by_nr);
	if (nr < NAMES_NUMBERED && by_nr[nr])
		return by_nr[nr];
	for (size_t i = 0; i < SYSCALL_TABLE_LEN; i++)
		if (syscall_table[i].nr == nr)
			return syscall_table[i].name;
	return numbered("sys_", nr < NAMES_NUMBERED ? (int)nr : -1, slots);
}

const char *names_signal(int sig)
{
	static char slots[NAMES_NUMBERED][24];
	static char full[NAMES_NUMBERED][24];
	const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;

	if (!abbrev)
		return numbered("SIG", sig, slots);
	if (sig >= NAMES_NUMBERED)
		return "SIGunknown";
	if (!full[sig][0])
		snprintf(full[sig], sizeof(full[sig]), "SIG%s", abbrev);
	return full[sig];
}

const char *names_errno(int err)
{
	static char slots[NAMES_NUMBERED][24];
	const char *name = err > 0 ? strerrorname_np(err) : NULL;

	return name ? name : numbered("E", err, slots);
}

int names_syscall_set(const char *list, uint64_t *bitmap, size_t words, char *bad,
		      size_t badlen)
{
	const char *p = list;

	while (*p) {
		size_t len, skip = strspn(p, " \t,");
		char name[64];
		int nr;

		p += skip;
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (!len)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		nr = len < sizeof(name) ? names_syscall_nr(name) : -1;
		if (nr < 0 || (size_t)nr / 64 >= words) {
			snprintf(bad, badlen, "%.*s", (int)len, p);
			return -EINVAL;
		}
		bitmap[nr / 64] |= 1ULL << (nr % 64);
		p += len;
	}
	return 0;
}
