// SPDX-License-Identifier: GPL-2.0
/* Connection errors: failed connects, resets, retransmits and UDP errors, with the socket's owner. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "histogram.h"
#include "net.h"
#include "exe.h"

#define FAMILY_DROP_MAX	NET_DROP_MAX
#include "family.bpf.h"
#include "task.bpf.h"
#include "exe.bpf.h"
#include "self.bpf.h"

#define AF_INET		2
#define AF_INET6	10
#define EPIPE		32
#define ENETDOWN	100
#define ENETUNREACH	101
#define ECONNRESET	104
#define ETIMEDOUT	110
#define ECONNREFUSED	111
#define EHOSTDOWN	112
#define EHOSTUNREACH	113
#define EINPROGRESS	115
#define EADDRNOTAVAIL	99
#define S_IFMT		00170000
#define S_IFSOCK	0140000
#define NS_PER_SEC	1000000000ULL
/* x86_64 syscall numbers (the only architecture built) */

/* Set by hostmond between open and load; 0 means no limit. */
const volatile __u32 events_per_sec = 1000;
/* Set by hostmond under overload: conn_error events are shed (counted), counts kept. */
__u32 shed = 0;

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

/* connect() in progress: its fd and destination, from sys_enter to sys_exit. */
struct net_connect {
	__s32 fd;
	__u8 addr[28];	/* struct sockaddr_in or sockaddr_in6 */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct net_connect);
} connects SEC(".maps");

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
		count_drop(NET_DROP_EP_MAP);
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

/* True while this second's detail budget lasts. Two CPUs may both reset it at a second's turn. */
static __always_inline bool within_rate(__u64 now)
{
	__u32 zero = 0;
	struct net_rate *r;
	__u64 sec;

	if (!events_per_sec)
		return true;
	r = bpf_map_lookup_elem(&rate, &zero);
	if (!r)
		return false;
	sec = now / NS_PER_SEC;
	if (r->sec != sec) {
		r->sec = sec;
		r->sent = 0;
	}
	return __sync_fetch_and_add(&r->sent, 1) < events_per_sec;
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
	e->ts_ns = bpf_ktime_get_ns();
	if (shed) {
		count_drop(NET_DROP_SHED);
		return;
	}
	if (!within_rate(e->ts_ns)) {
		count_drop(NET_DROP_SUPPRESSED);
		return;
	}
	if (bpf_ringbuf_output(&events, e, sizeof(*e), detail_wakeup(sizeof(*e))))
		count_drop(NET_DROP_EVENT);
}

/* In the owner's syscall: its exe is noted now, as its errors may come in softirq context. */
static __always_inline void set_owner_current(struct net_sock *o)
{
	o->pid = bpf_get_current_pid_tgid() >> 32;
	current_proc_id(&o->start_ns, &o->exec_id);
	bpf_get_current_comm(o->comm, sizeof(o->comm));
	exe_note_current(o->pid, o->start_ns, o->exec_id, NET_DROP_EXE_MAP);
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
		count_drop(NET_DROP_SOCK_MAP);
	return !self;
}

/* In the connecting task's connect() (or sendmsg() with Fast Open). */
static __always_inline void on_syn_sent(const struct sock *sk)
{
	struct net_event e = {};

	if (!remember(sk, bpf_ktime_get_ns(), 0))
		return;
	read_tuple(&e, sk);
	count(&e, false, NET_STAT_ATTEMPTS);
}

static __always_inline void on_established(const struct sock *sk)
{
	__u64 key = (__u64)sk, lat;
	struct net_event e = {};
	struct net_sock *o;

	o = bpf_map_lookup_elem(&socks, &key);
	if (!o || !o->syn_ns || owned_by_self(o))
		return;
	lat = bpf_ktime_get_ns() - o->syn_ns;
	read_tuple(&e, sk);
	count(&e, false, NET_STAT_ESTABLISHED);
	ep_add(&e, false, NET_STAT_LATENCY + hist_bucket(lat) % HIST_BUCKETS, 1);
}

/* An accepted socket: inbound until accept() names its owner. */
static __always_inline void on_accepted(const struct sock *sk)
{
	struct net_sock o = { .flags = NET_SOCK_IN };
	__u64 key = (__u64)sk;

	if (bpf_map_update_elem(&socks, &key, &o, BPF_NOEXIST) && !bpf_map_lookup_elem(&socks, &key))
		count_drop(NET_DROP_SOCK_MAP);
}

/*
 * A socket closing with sk_err set: a failed connect from SYN_SENT (refused,
 * timed out, unreachable), or an established connection that timed out.
 * Resets were reported by tcp_receive_reset already.
 */
static __always_inline void on_close(const struct sock *sk, int oldstate)
{
	int err = BPF_CORE_READ(sk, sk_err);
	struct net_event e = { .err = err };
	__u64 key = (__u64)sk;
	struct net_sock *o;

	if (!err || oldstate == TCP_LISTEN)
		return;
	e.kind = kind_of(err);
	if (oldstate != TCP_SYN_SENT && e.kind == NET_KIND_RESET_RECEIVED)
		return;
	o = bpf_map_lookup_elem(&socks, &key);
	if (oldstate == TCP_SYN_SENT) {
		e.connect = 1;
		if (o && o->syn_ns)
			e.duration_ns = bpf_ktime_get_ns() - o->syn_ns;
		if (o)
			o->flags |= NET_SOCK_REPORTED;
	}
	read_tuple(&e, sk);
	report(&e, o, o && (o->flags & NET_SOCK_IN));
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(net_set_state, const struct sock *sk, int oldstate, int newstate)
{
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (newstate == TCP_SYN_SENT)
		on_syn_sent(sk);
	else if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_SENT)
		on_established(sk);
	else if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_RECV)
		on_accepted(sk);
	else if (newstate == TCP_CLOSE)
		on_close(sk, oldstate);
	return 0;
}

/* Notes the local port of a connecting socket, which it loses when it closes. */
static __always_inline void note_sport(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct net_sock *o;

	o = bpf_map_lookup_elem(&socks, &key);
	if (o && !o->sport)
		o->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
}

/* A reset on a connection: received, or sent by this host. */
static __always_inline void on_reset(const struct sock *sk, __u32 kind, int err)
{
	struct net_event e = { .kind = kind, .err = err };
	__u64 key = (__u64)sk;
	struct net_sock *o;

	o = bpf_map_lookup_elem(&socks, &key);
	read_tuple(&e, sk);
	report(&e, o, o && (o->flags & NET_SOCK_IN));
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(net_receive_reset, struct sock *sk)
{
	int state = BPF_CORE_READ(sk, __sk_common.skc_state);

	/* In SYN_SENT it is a refused connect, reported when the socket closes. */
	if (state == TCP_SYN_SENT)
		note_sport(sk);
	if (state == TCP_SYN_SENT || state == TCP_CLOSE || state == TCP_LISTEN)
		return 0;
	on_reset(sk, NET_KIND_RESET_RECEIVED, state == TCP_CLOSE_WAIT ? EPIPE : ECONNRESET);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(net_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	int state;

	/* No socket: a SYN to a closed port, not a connection of this host. */
	if (!sk)
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == TCP_LISTEN || state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV ||
	    state == TCP_SYN_SENT)
		return 0;
	on_reset(sk, NET_KIND_RESET_SENT, 0);
	return 0;
}

/* Counts retransmitted segments, as the kernel's TcpRetransSegs does: an skb may carry several. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(net_retransmit, const struct sock *sk, const struct sk_buff *skb, int err)
{
	const struct tcp_skb_cb *cb = (const void *)skb + bpf_core_field_offset(struct sk_buff, cb);
	__u16 segs = BPF_CORE_READ(cb, tcp_gso_segs);
	struct net_event e = {};
	__u64 key = (__u64)sk;
	struct net_sock *o;

	if (err)
		return 0;
	o = bpf_map_lookup_elem(&socks, &key);
	if (owned_by_self(o))
		return 0;
	if (o && !o->sport)
		o->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	read_tuple(&e, sk);
	count_n(&e, o && (o->flags & NET_SOCK_IN), NET_STAT_RETRANSMITS, segs ? segs : 1);
	return 0;
}

/* TCP errors are reported from their state changes; this is for UDP (ICMP errors). */
SEC("tp_btf/inet_sk_error_report")
int BPF_PROG(net_error_report, const struct sock *sk)
{
	int protocol = BPF_CORE_READ(sk, sk_protocol);
	struct net_event e = {};
	__u64 key = (__u64)sk;

	if (protocol == IPPROTO_TCP)
		note_sport(sk);
	if (protocol != IPPROTO_UDP)
		return 0;
	e.err = BPF_CORE_READ(sk, sk_err);
	if (!e.err)
		return 0;
	e.kind = kind_of(e.err);
	read_tuple(&e, sk);
	report(&e, bpf_map_lookup_elem(&socks, &key), false);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(net_destroy_sock, struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&socks, &key);
	return 0;
}

/* The socket behind fd in the current task, or NULL. */
static __always_inline struct sock *sock_of_fd(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
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

/*
 * connect() and accept() through the raw syscall tracepoints (BTF-typed):
 * the syscalls:sys_*_connect ones need tracefs mounted to attach.
 */
/*
 * The syscalls: tracepoints fire for connect and accept only, so other
 * syscalls pay nothing for the net family (hostmond mounts tracefs for them).
 */
SEC("tracepoint/syscalls/sys_enter_connect")
int net_connect_enter(struct trace_event_raw_sys_enter *ctx)
{
	const void *uaddr = (const void *)ctx->args[1];
	struct net_connect *c;

	c = bpf_task_storage_get(&connects, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c)
		return 0;
	c->fd = ctx->args[0];
	if (bpf_probe_read_user(c->addr, sizeof(c->addr), uaddr) &&
	    bpf_probe_read_user(c->addr, sizeof(struct sockaddr_in), uaddr))
		c->fd = -1;
	return 0;
}

static __always_inline bool sync_connect_error(int err)
{
	return err == ECONNREFUSED || err == ETIMEDOUT || err == ENETUNREACH ||
	       err == EHOSTUNREACH || err == ENETDOWN || err == EADDRNOTAVAIL;
}

/* The destination connect() was given, from its saved sockaddr. */
static __always_inline bool connect_dest(struct net_event *e, const struct net_connect *c)
{
	const struct sockaddr_in6 *in6 = (const void *)c->addr;
	const struct sockaddr_in *in = (const void *)c->addr;

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
static __always_inline void on_connect_failed(const struct net_connect *c, struct sock *sk,
					      int err)
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
	if (!connect_dest(&e, c))
		return;
	e.protocol = BPF_CORE_READ(sk, sk_protocol);
	e.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!o || !o->syn_ns)
		count(&e, false, NET_STAT_ATTEMPTS);
	set_owner_current(&self);
	report(&e, &self, false);
}

static __always_inline void on_connect_exit(long ret)
{
	struct net_connect *c;
	struct sock *sk;

	c = bpf_task_storage_get(&connects, bpf_get_current_task_btf(), 0, 0);
	if (!c || c->fd < 0)
		return;
	sk = sock_of_fd(c->fd);
	if (sk && (ret == 0 || ret == -EINPROGRESS)) {
		/* TCP sockets got their owner at SYN_SENT; UDP ones get it here. */
		if (BPF_CORE_READ(sk, sk_protocol) == IPPROTO_UDP)
			remember(sk, 0, 0);
	} else if (sk && sync_connect_error(-ret)) {
		on_connect_failed(c, sk, -ret);
	}
	c->fd = -1;
}

static __always_inline void on_accept_exit(long ret)
{
	struct sock *sk;

	if (ret < 0)
		return;
	sk = sock_of_fd(ret);
	if (sk)
		remember(sk, 0, NET_SOCK_IN);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int net_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	on_connect_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int net_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	on_accept_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int net_accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	on_accept_exit(ctx->ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
