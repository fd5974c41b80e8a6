/* Ring buffer fill: the kernel's consumer page at offset 0, its producer page right after. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "daemon/ring_watch.h"

struct ring_watch {
	const volatile unsigned long *consumer;
	const volatile unsigned long *producer;
	size_t page;
	double size;
};

struct ring_watch *ring_watch__new(int map_fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	struct ring_watch *rw;
	void *c, *p;

	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return NULL;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries) {
		errno = EINVAL;
		return NULL;
	}
	rw = calloc(1, sizeof(*rw));
	if (!rw)
		return NULL;
	rw->page = (size_t)sysconf(_SC_PAGESIZE);
	rw->size = info.max_entries;
	c = mmap(NULL, rw->page, PROT_READ, MAP_SHARED, map_fd, 0);
	p = c == MAP_FAILED ? MAP_FAILED : mmap(NULL, rw->page, PROT_READ, MAP_SHARED, map_fd,
						(off_t)rw->page);
	if (p == MAP_FAILED) {
		int err = errno;

		if (c != MAP_FAILED)
			munmap(c, rw->page);
		free(rw);
		errno = err;
		return NULL;
	}
	rw->consumer = c;
	rw->producer = p;
	return rw;
}

void ring_watch__free(struct ring_watch *rw)
{
	if (!rw)
		return;
	munmap((void *)rw->consumer, rw->page);
	munmap((void *)rw->producer, rw->page);
	free(rw);
}

double ring_watch__fill(const struct ring_watch *rw)
{
	unsigned long cons, prod;

	if (!rw)
		return 0;
	cons = __atomic_load_n(rw->consumer, __ATOMIC_ACQUIRE);
	prod = __atomic_load_n(rw->producer, __ATOMIC_ACQUIRE);
	return prod > cons ? (double)(prod - cons) / rw->size : 0;
}
