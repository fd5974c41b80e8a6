/*
 * The net family's socket owners, counters and conn_error reports, and the
 * connect()/accept() exits that name owners: compiled into net.bpf.c and,
 * through bpf/net_sys.bpf.h, into the syscall family's object, which reuses
 * the net object's maps by fd.
 */
#ifndef HOSTMON_NET_CORE_BPF_H
#define HOSTMON_NET_CORE_BPF_H

/*
 * Include after vmlinux.h, bpf_helpers.h, bpf_core_read.h, histogram.h, net.h, exe.h,
 * family.bpf.h, task.bpf.h, exe.bpf.h and self.bpf.h, with NET_EVENTS and
 * NET_DROPS naming the net family's ring buffer and drops map, and
 * NET_EXE_DROP the drops index for a failed exe note in this object.
 */
#if !defined(NET_EVENTS) || !defined(NET_DROPS) || !defined(NET_EXE_DROP)
#error "define NET_EVENTS, NET_DROPS and NET_EXE_DROP before including net_core.bpf.h"
#endif

#include <bpf/bpf_endian.h>

#define AF_INET		2
#define AF_INET6	10
#define EPIPE		32
#define EADDRNOTAVAIL	99
#define ENETDOWN	100
#define ENETUNREACH	101
#define ECONNRESET	104
#define ETIMEDOUT	110
#define ECONNREFUSED	111
#define EHOSTDOWN	112
#define EHOSTUNREACH	113
#define EINPROGRESS	115
#define S_IFMT		00170000
#define S_IFSOCK	0140000
#define NS_PER_SEC	1000000000ULL

/* Set by hostmond between open and load, the same in both objects; 0 means no limit. */
const volatile __u32 net_events_per_sec = 1000;

/* Socket (kernel address) -> owner, from connect or accept until tcp_destroy_sock; LRU bounds UDP's. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NET_SOCK_ENTRIES);
	__type(key, __u64);
	__type(value, struct net_sock);
} socks SEC(".maps");

/* Cumulative counts per (endpoint, counter); a flood of endpoints evicts, never grows. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NET_EP_ENTRIES);
	__type(key, struct net_ep_key);
	__type(value, __u64);
} endpoints SEC(".maps");

/* Exact totals whatever the endpoint map evicts. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NET_TOTALS);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

/*
 * Failures per workload (the owner's cgroup v2 id; 0: no owner known),
 * cumulative; hostmond deletes idle workloads' entries.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_CG_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u64);
} net_cg_failures SEC(".maps");

/* The detail-event budget of the current second, shared by all CPUs. */
struct net_rate {
	__u64 sec;
	__u64 sent;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct net_rate);
} rate SEC(".maps");

/*
 * Set by hostmond under overload (through its mapping of it): non-zero,
 * conn_error events are shed (counted), counts kept. A map rather than a
 * global, as both objects read it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} net_shed SEC(".maps");

static __always_inline void net_drop(__u32 reason)
{
	bump(&NET_DROPS, reason);
}

/* Submit flags for a conn_error, as detail_wakeup (family.bpf.h) for the net ring. */
static __always_inline __u64 net_wakeup(__u64 len)
{
	if (!wakeup_bytes)
		return 0;
	return bpf_ringbuf_query(&NET_EVENTS, BPF_RB_AVAIL_DATA) + len >= wakeup_bytes ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline __u32 kind_of(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return NET_KIND_REFUSED;
	case ETIMEDOUT:
		return NET_KIND_TIMEOUT;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
		return NET_KIND_UNREACHABLE;
	case ECONNRESET:
	case EPIPE:
		return NET_KIND_RESET_RECEIVED;
	}
	return NET_KIND_ERROR;
}

static __always_inline bool v4_mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return !w[0] && !w[1] && w[2] == bpf_htonl(0xffff);
}

/*
 * Addresses and ports of sk into e (the owner and the rest are the caller's).
 * A dual-stack socket talking IPv4 (::ffff:a.b.c.d) is reported as IPv4.
 */
static __always_inline void read_tuple(struct net_event *e, const struct sock *sk)
{
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->protocol = BPF_CORE_READ(sk, sk_protocol);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		if (v4_mapped(e->daddr)) {
			e->family = AF_INET;
			__builtin_memcpy(e->saddr, e->saddr + 12, 4);
			__builtin_memcpy(e->daddr, e->daddr + 12, 4);
			__builtin_memset(e->saddr + 4, 0, 12);
			__builtin_memset(e->daddr + 4, 0, 12);
		}
	} else {
		BPF_CORE_READ_INTO((__u32 *)e->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, sk, __sk_common.skc_daddr);
	}
}

/* Adds n to one counter of e's endpoint: the remote one, or the local one if accepted. */
static __always_inline void ep_add(const struct net_event *e, bool in, __u32 stat, __u64 n)
{
	struct net_ep_key k = {
		.port = in ? e->sport : e->dport,
		.family = e->family,
		.protocol = e->protocol,
		.dir = in ? NET_DIR_IN : NET_DIR_OUT,
		.stat = stat,
	};
	__u64 *v;

	__builtin_memcpy(k.addr, in ? e->saddr : e->daddr, sizeof(k.addr));
	v = bpf_map_lookup_elem(&endpoints, &k);
	if (v) {
		__sync_fetch_and_add(v, n);
		return;
	}
	if (bpf_map_update_elem(&endpoints, &k, &n, BPF_NOEXIST) == 0) {
		bump(&totals, NET_TOTAL_EP_INSERTS);
		return;
	}
	/* -EEXIST: another CPU created it first. */
	v = bpf_map_lookup_elem(&endpoints, &k);
	if (v)
		__sync_fetch_and_add(v, n);
	else
		net_drop(NET_DROP_EP_MAP);
}

/* Adds n to the exact total and to the endpoint's count of one counter. */
static __always_inline void count_n(const struct net_event *e, bool in, __u32 stat, __u64 n)
{
	__u64 *total = bpf_map_lookup_elem(&totals, &stat);

	if (total)
		*total += n;
	ep_add(e, in, stat, n);
}

static __always_inline void count(const struct net_event *e, bool in, __u32 stat)
{
	count_n(e, in, stat, 1);
}

/*
 * True while this second's detail budget lasts. Two CPUs may both reset it at
 * a second's turn. The add fetches nothing (atomic fetch needs 5.12): each
 * CPU reads the count after its own add, so racing CPUs may both find the
 * budget spent when one of them was still within it, never the reverse.
 */
static __always_inline bool within_rate(__u64 now)
{
	__u32 zero = 0;
	struct net_rate *r;
	__u64 sec;

	if (!net_events_per_sec)
		return true;
	r = bpf_map_lookup_elem(&rate, &zero);
	if (!r)
		return false;
	sec = now / NS_PER_SEC;
	if (r->sec != sec) {
		r->sec = sec;
		r->sent = 0;
	}
	__sync_fetch_and_add(&r->sent, 1);
	return *(volatile __u64 *)&r->sent <= net_events_per_sec;
}

static __always_inline bool shedding(void)
{
	__u32 zero = 0, *on = bpf_map_lookup_elem(&net_shed, &zero);

	return on && *on;
}

/*
 * Whether sk's remembered owner is hostmond. Asked instead of current where
 * current may be unrelated (softirq): the agent's sockets were marked in its
 * own connect or accept.
 */
static __always_inline bool owned_by_self(const struct net_sock *o)
{
	return o && (o->flags & NET_SOCK_SELF);
}

static __always_inline void cg_failure(__u64 cgid)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(&net_cg_failures, &cgid);

	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	if (bpf_map_update_elem(&net_cg_failures, &cgid, &one, BPF_NOEXIST) == 0)
		return;
	/* -EEXIST: another CPU created it first. */
	v = bpf_map_lookup_elem(&net_cg_failures, &cgid);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		net_drop(NET_DROP_CG_MAP);
}

/* Counts the failure, then sends e as a conn_error event if the rate allows. */
static __always_inline void report(struct net_event *e, const struct net_sock *owner, bool in)
{
	if (owned_by_self(owner))
		return;
	if (owner) {
		e->pid = owner->pid;
		e->start_ns = owner->start_ns;
		e->exec_id = owner->exec_id;
		__builtin_memcpy(e->comm, owner->comm, sizeof(e->comm));
		/* A closed socket has released its local port; the owner noted it. */
		if (!e->sport)
			e->sport = owner->sport;
	}
	count(e, in, NET_STAT_FAILURES + e->kind);
	cg_failure(owner ? owner->cgid : 0);
	e->ts_ns = bpf_ktime_get_ns();
	if (shedding()) {
		net_drop(NET_DROP_SHED);
		return;
	}
	if (!within_rate(e->ts_ns)) {
		net_drop(NET_DROP_SUPPRESSED);
		return;
	}
	if (bpf_ringbuf_output(&NET_EVENTS, e, sizeof(*e), net_wakeup(sizeof(*e))))
		net_drop(NET_DROP_EVENT);
}

/* In the owner's syscall: its exe is noted now, as its errors may come in softirq context. */
static __always_inline void set_owner_current(struct net_sock *o)
{
	o->pid = bpf_get_current_pid_tgid() >> 32;
	o->cgid = bpf_get_current_cgroup_id();
	current_proc_id(&o->start_ns, &o->exec_id);
	bpf_get_current_comm(o->comm, sizeof(o->comm));
	exe_note_current(o->pid, o->start_ns, o->exec_id, NET_EXE_DROP);
}

/*
 * Remembers the current task as the owner of sk (replacing any earlier owner).
 * hostmond's own sockets are remembered by their flag alone, so that their
 * errors, seen later in any context, are known as the agent's and left out;
 * false for those.
 */
static __always_inline bool remember(const struct sock *sk, __u64 syn_ns, __u32 flags)
{
	struct net_sock o = {};
	__u64 key = (__u64)sk;
	bool self = current_is_self();

	if (self) {
		o.flags = NET_SOCK_SELF;
	} else {
		o.syn_ns = syn_ns;
		o.flags = flags;
		o.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		set_owner_current(&o);
	}
	if (bpf_map_update_elem(&socks, &key, &o, BPF_ANY))
		net_drop(NET_DROP_SOCK_MAP);
	return !self;
}

/* The socket behind fd in the current task, or NULL. */
static __always_inline struct sock *sock_of_fd(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
	struct socket *sock;
	struct file *file;

	if (fd < 0 || (unsigned int)fd >= max)
		return NULL;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

static __always_inline bool sync_connect_error(int err)
{
	return err == ECONNREFUSED || err == ETIMEDOUT || err == ENETUNREACH ||
	       err == EHOSTUNREACH || err == ENETDOWN || err == EADDRNOTAVAIL;
}

/* The destination connect() was given, from the caller's sockaddr. */
static __always_inline bool connect_dest(struct net_event *e, const void *uaddr)
{
	__u8 addr[sizeof(struct sockaddr_in6)];
	const struct sockaddr_in6 *in6 = (const void *)addr;
	const struct sockaddr_in *in = (const void *)addr;

	if (bpf_probe_read_user(addr, sizeof(addr), uaddr) &&
	    bpf_probe_read_user(addr, sizeof(struct sockaddr_in), uaddr))
		return false;
	e->family = in->sin_family;
	if (e->family == AF_INET) {
		e->dport = bpf_ntohs(in->sin_port);
		__builtin_memcpy(e->daddr, &in->sin_addr, 4);
	} else if (e->family == AF_INET6) {
		e->dport = bpf_ntohs(in6->sin6_port);
		__builtin_memcpy(e->daddr, &in6->sin6_addr, 16);
	} else {
		return false;
	}
	return true;
}

/*
 * A connect() that failed before or without a state change to report it
 * (no route, no local port): reported here, in the caller's context.
 */
static __always_inline void on_connect_failed(const void *uaddr, struct sock *sk, int err)
{
	struct net_event e = { .err = err, .kind = kind_of(err), .connect = 1 };
	struct net_sock *o, self = {};
	__u64 key = (__u64)sk;

	/* The caller's context: current is the socket's owner. */
	if (current_is_self())
		return;
	o = bpf_map_lookup_elem(&socks, &key);
	if (o && (o->flags & NET_SOCK_REPORTED))
		return;
	if (!connect_dest(&e, uaddr))
		return;
	e.protocol = BPF_CORE_READ(sk, sk_protocol);
	e.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!o || !o->syn_ns)
		count(&e, false, NET_STAT_ATTEMPTS);
	set_owner_current(&self);
	report(&e, &self, false);
}

/*
 * At the exit of connect(fd, uaddr, ...) returning ret: TCP sockets got
 * their owner at SYN_SENT, UDP ones get it here; a failure no state change
 * reports is reported here.
 */
static __always_inline void net_connect_exited(int fd, const void *uaddr, long ret)
{
	struct sock *sk = sock_of_fd(fd);

	if (!sk)
		return;
	if (ret == 0 || ret == -EINPROGRESS) {
		if (BPF_CORE_READ(sk, sk_protocol) == IPPROTO_UDP)
			remember(sk, 0, 0);
	} else if (sync_connect_error(-ret)) {
		on_connect_failed(uaddr, sk, -ret);
	}
}

/* At the exit of accept() or accept4() returning ret: the new socket's owner. */
static __always_inline void net_accept_exited(long ret)
{
	struct sock *sk;

	if (ret < 0)
		return;
	sk = sock_of_fd(ret);
	if (sk)
		remember(sk, 0, NET_SOCK_IN);
}

#endif /* HOSTMON_NET_CORE_BPF_H */
