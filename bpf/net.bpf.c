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

#define NET_EVENTS	events
#define NET_DROPS	drops
#define NET_EXE_DROP	NET_DROP_EXE_MAP
#include "net_core.bpf.h"

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
/* A retransmit: counted per endpoint in segments, as TcpRetransSegs counts them. */
static __always_inline void on_retransmit(const struct sock *sk, const struct sk_buff *skb)
{
	const struct tcp_skb_cb *cb = (const void *)skb + bpf_core_field_offset(struct sk_buff, cb);
	__u16 segs = BPF_CORE_READ(cb, tcp_gso_segs);
	struct net_event e = {};
	__u64 key = (__u64)sk;
	struct net_sock *o;

	o = bpf_map_lookup_elem(&socks, &key);
	if (owned_by_self(o))
		return;
	if (o && !o->sport)
		o->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	read_tuple(&e, sk);
	count_n(&e, o && (o->flags & NET_SOCK_IN), NET_STAT_RETRANSMITS, segs ? segs : 1);
}

/* Newer kernels (after 6.1) also fire it for a retransmit that failed (err). */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(net_retransmit, const struct sock *sk, const struct sk_buff *skb, int err)
{
	if (!err)
		on_retransmit(sk, skb);
	return 0;
}

/* Older kernels: two arguments, and only retransmits that went out. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(net_retransmit_legacy, const struct sock *sk, const struct sk_buff *skb)
{
	on_retransmit(sk, skb);
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

/*
 * Fallback for connect() and accept(), loaded always and attached only when
 * the syscall family cannot carry them (bpf/net_sys.bpf.h): the syscalls:
 * tracepoints need tracefs, and once any is enabled the kernel runs its
 * per-syscall tracepoint dispatch on every syscall of every process.
 */

/* A connect() in progress, from sys_enter_connect to sys_exit_connect. */
struct net_connect {
	const void *uaddr;
	__s32 fd;
	__u32 pad;
};

/* Thread (pid_tgid) -> its connect() in progress; deleted at its exit. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_CONNECT_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct net_connect);
} connects SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_connect")
int net_connect_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct net_connect c = { .fd = ctx->args[0], .uaddr = (const void *)ctx->args[1] };
	__u64 id = bpf_get_current_pid_tgid();

	/* Not remembered: its owner (UDP) or synchronous failure goes unseen. */
	if (bpf_map_update_elem(&connects, &id, &c, BPF_ANY))
		count_drop(NET_DROP_SOCK_MAP);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int net_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct net_connect *c;

	c = bpf_map_lookup_elem(&connects, &id);
	if (!c)
		return 0;
	net_connect_exited(c->fd, c->uaddr, ctx->ret);
	bpf_map_delete_elem(&connects, &id);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int net_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	net_accept_exited(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int net_accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	net_accept_exited(ctx->ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
