/* Connection error family: map keys, values and events shared by net.bpf.c and hostmond. */
#ifndef HOSTMON_NET_H
#define HOSTMON_NET_H

#ifndef TASK_COMM_LEN
#define TASK_COMM_LEN		16
#endif
/* Default sizes of the bounded maps; hostmond sets them from [net] before load. */
#define NET_SOCK_ENTRIES	65536	/* socket -> owner */
#define NET_EP_ENTRIES		16384	/* (endpoint, counter) -> count */
#define NET_CG_ENTRIES		4096	/* workload (cgroup) -> failures */
/* connect() calls in progress at once, on the syscalls: tracepoint fallback only */
#define NET_CONNECT_ENTRIES	4096

/* Why a connection failed or ended; also the index of its failure counter. */
enum net_kind {
	NET_KIND_REFUSED,
	NET_KIND_TIMEOUT,
	NET_KIND_UNREACHABLE,
	NET_KIND_RESET_RECEIVED,
	NET_KIND_RESET_SENT,
	NET_KIND_ERROR,		/* any other errno */
	NET_KIND_MAX,
};

/*
 * Counters per endpoint (and in total): one slot each, then NET_KIND_MAX
 * failure slots, then HIST_BUCKETS connect latency slots.
 */
enum net_stat {
	NET_STAT_ATTEMPTS,
	NET_STAT_ESTABLISHED,
	NET_STAT_RETRANSMITS,
	NET_STAT_FAILURES,			/* + enum net_kind */
	NET_STAT_LATENCY = NET_STAT_FAILURES + NET_KIND_MAX,	/* + histogram bucket */
	NET_STAT_MAX = NET_STAT_LATENCY,	/* counters summed in the per-CPU totals */
};

/* The per-CPU totals array: NET_STAT_MAX exact counters, then endpoint keys created
 * (created minus present = evicted by the LRU). */
#define NET_TOTAL_EP_INSERTS	NET_STAT_MAX
#define NET_TOTALS		(NET_STAT_MAX + 1)

enum net_drop {
	NET_DROP_EVENT,		/* ring buffer full: conn_error lost */
	NET_DROP_SUPPRESSED,	/* over events_per_sec: conn_error not sent, counts kept */
	NET_DROP_SOCK_MAP,	/* owner not remembered */
	NET_DROP_EP_MAP,	/* an endpoint count lost (the total is kept) */
	NET_DROP_SHED,		/* brownout: conn_error not sent, counts kept */
	NET_DROP_EXE_MAP,	/* owner's exe path not noted: exe map update failed */
	NET_DROP_CG_MAP,	/* workload map full: a failure not counted for its workload */
	NET_DROP_MAX,
};

/* Endpoints are remote address:port for outgoing connections, local for accepted ones. */
#define NET_DIR_OUT		0
#define NET_DIR_IN		1

struct net_ep_key {
	__u8 addr[16];		/* IPv4 in the first 4 bytes */
	__u16 port;		/* host order */
	__u8 family;		/* AF_INET, AF_INET6 */
	__u8 protocol;		/* IPPROTO_TCP, IPPROTO_UDP */
	__u8 dir;		/* NET_DIR_* */
	__u8 pad[3];
	__u32 stat;		/* enum net_stat slot */
};

/* Owner flags */
#define NET_SOCK_REPORTED	1	/* its connect failure was already reported */
#define NET_SOCK_IN		2	/* accepted, not connected */
#define NET_SOCK_SELF		4	/* hostmond's own: neither counted nor reported */

struct net_sock {
	__u64 syn_ns;		/* first SYN sent; 0 if not connecting */
	__u64 start_ns;		/* owner's start and exec generation (bpf/task.bpf.h) */
	__u64 exec_id;
	__u64 cgid;		/* owner's cgroup v2 id (its workload) */
	__u32 pid;		/* tgid; 0 until accept() names the owner */
	__u16 flags;
	__u16 sport;		/* local port seen while connecting (gone by TCP_CLOSE) */
	char comm[TASK_COMM_LEN];
};

struct net_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
	__u64 duration_ns;	/* connects: first SYN to the error; else 0 */
	__u64 start_ns;		/* owner's start and exec generation (bpf/task.bpf.h) */
	__u64 exec_id;
	__u32 pid;
	__u32 kind;		/* enum net_kind */
	__s32 err;		/* positive errno, 0 for resets */
	__u16 family;
	__u16 protocol;
	__u16 sport;		/* host order */
	__u16 dport;
	__u32 connect;		/* the failure of a connect() */
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[TASK_COMM_LEN];
};

#endif /* HOSTMON_NET_H */
