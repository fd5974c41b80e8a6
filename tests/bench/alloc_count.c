/*
 * An LD_PRELOAD shim for the benchmarks: counts a process's heap allocation
 * calls in a shared page that another process reads at any moment.
 *
 * HOSTMON_ALLOC_COUNT=PATH: the first process to load the shim creates PATH
 * (it must not exist: a child exec'ed with the same environment leaves it to
 * its parent and counts nothing) and maps it; the page holds the counting
 * process's pid and then one 64-bit count per kind of call, in the order of
 * enum alloc_kind. Read it with `od -An -v -t u8 -N 48 PATH`.
 *
 * The counts live in memory mapped before main() runs: dropping capabilities
 * or setting no_new_privs later changes nothing for them. Every call goes on
 * to glibc's own allocator (its __libc_* entry points, so no dlsym, which
 * itself allocates); pointers stay glibc's, free() is not interposed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

enum alloc_kind {
	ALLOC_MALLOC,
	ALLOC_CALLOC,
	ALLOC_REALLOC,		/* realloc and reallocarray */
	ALLOC_POSIX_MEMALIGN,
	ALLOC_OTHER_ALIGNED,	/* aligned_alloc, memalign, valloc, pvalloc */
	ALLOC_KIND_MAX,
};

struct alloc_page {
	uint64_t pid;
	uint64_t calls[ALLOC_KIND_MAX];
};

/* glibc's exported allocator, under glibc's own names (no header declares them). */
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t nmemb, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */

static struct alloc_page *page;

__attribute__((constructor)) static void alloc_count_init(void)
{
	const char *path = getenv("HOSTMON_ALLOC_COUNT");
	void *map;
	int fd;

	if (!path || !*path)
		return;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (ftruncate(fd, sizeof(struct alloc_page))) {
		close(fd);
		return;
	}
	map = mmap(NULL, sizeof(struct alloc_page), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return;
	page = map;
	page->pid = (uint64_t)getpid();
}

/* Relaxed: a reader wants counts, not an order among the threads' calls. */
static inline void count(enum alloc_kind kind)
{
	if (page)
		__atomic_fetch_add(&page->calls[kind], 1, __ATOMIC_RELAXED);
}

void *malloc(size_t size)
{
	count(ALLOC_MALLOC);
	return __libc_malloc(size);
}

void *calloc(size_t nmemb, size_t size)
{
	count(ALLOC_CALLOC);
	return __libc_calloc(nmemb, size);
}

void *realloc(void *ptr, size_t size)
{
	count(ALLOC_REALLOC);
	return __libc_realloc(ptr, size);
}

void *reallocarray(void *ptr, size_t nmemb, size_t size)
{
	size_t bytes;

	count(ALLOC_REALLOC);
	if (__builtin_mul_overflow(nmemb, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(ptr, bytes);
}

/* glibc exports no __libc_posix_memalign: its checks, then memalign; errno kept. */
int posix_memalign(void **memptr, size_t alignment, size_t size)
{
	int saved = errno;
	void *p;

	count(ALLOC_POSIX_MEMALIGN);
	if (!alignment || alignment % sizeof(void *) || (alignment & (alignment - 1)))
		return EINVAL;
	p = __libc_memalign(alignment, size);
	errno = saved;
	if (!p)
		return ENOMEM;
	*memptr = p;
	return 0;
}

void *aligned_alloc(size_t alignment, size_t size)
{
	count(ALLOC_OTHER_ALIGNED);
	return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size)
{
	count(ALLOC_OTHER_ALIGNED);
	return __libc_memalign(alignment, size);
}

void *valloc(size_t size)
{
	count(ALLOC_OTHER_ALIGNED);
	return __libc_valloc(size);
}

void *pvalloc(size_t size)
{
	count(ALLOC_OTHER_ALIGNED);
	return __libc_pvalloc(size);
}
