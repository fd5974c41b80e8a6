/*
 * nfq_delay QUEUE DELAY_US: holds every packet netfilter sends to NFQUEUE
 * QUEUE for DELAY_US, then accepts it: a fixed delay for kernels without
 * sch_netem. Packets are released in arrival order (one queue, one delay).
 * Prints "ready" once bound; runs until killed. Raw nfnetlink, no library.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include "helpers.h"

#define BUF_SIZE	8192

static int nl_fd;
static uint16_t queue_num;

/* Appends one attribute to nlh (buffer large enough by construction). */
static void put_attr(struct nlmsghdr *nlh, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static struct nlmsghdr *start_msg(char *buf, uint16_t type)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nfgenmsg *g;

	memset(buf, 0, NLMSG_SPACE(sizeof(*g)));
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*g));
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = NLMSG_DATA(nlh);
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(queue_num);
	return nlh;
}

static int send_msg(struct nlmsghdr *nlh)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	return sendto(nl_fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -1 : 0;
}

static int configure(void)
{
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND };
	struct nfqnl_msg_config_params params = { .copy_mode = NFQNL_COPY_META };
	char buf[256];
	struct nlmsghdr *nlh = start_msg(buf, NFQNL_MSG_CONFIG);

	put_attr(nlh, NFQA_CFG_CMD, &cmd, sizeof(cmd));
	if (send_msg(nlh))
		return -1;
	nlh = start_msg(buf, NFQNL_MSG_CONFIG);
	put_attr(nlh, NFQA_CFG_PARAMS, &params, sizeof(params));
	return send_msg(nlh);
}

static int verdict(uint32_t id)
{
	struct nfqnl_msg_verdict_hdr v = { .verdict = htonl(NF_ACCEPT), .id = id };
	char buf[256];
	struct nlmsghdr *nlh = start_msg(buf, NFQNL_MSG_VERDICT);

	put_attr(nlh, NFQA_VERDICT_HDR, &v, sizeof(v));
	return send_msg(nlh);
}

/* The packet id (network order) of a queued packet message, or 0. */
static uint32_t packet_id(struct nlmsghdr *nlh)
{
	int len = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg));
	struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(nlh) +
					     NLMSG_ALIGN(sizeof(struct nfgenmsg)));

	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR)
			return ((struct nfqnl_msg_packet_hdr *)((char *)a + NLA_HDRLEN))->packet_id;
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return 0;
}

static void hold_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ULL, .tv_nsec = t % 1000000000ULL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static char buf[BUF_SIZE];
	uint64_t q, delay_us, arrived;
	struct nlmsghdr *nlh;
	ssize_t n;

	if (argc != 3 || parse_u64(argv[1], 65535, &q) || parse_u64(argv[2], 10000000, &delay_us)) {
		fprintf(stderr, "usage: %s QUEUE DELAY_US\n", argv[0]);
		return 2;
	}
	queue_num = (uint16_t)q;
	nl_fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
	if (nl_fd < 0 || bind(nl_fd, (struct sockaddr *)&sa, sizeof(sa)) || configure()) {
		perror("nfq_delay: netlink setup");
		return 1;
	}
	printf("ready\n");
	if (fflush(stdout) == EOF)
		return 1;
	while ((n = recv(nl_fd, buf, sizeof(buf), 0)) > 0) {
		arrived = now_ns();
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
				continue;
			hold_until(arrived + delay_us * 1000);
			if (verdict(packet_id(nlh)))
				perror("nfq_delay: verdict");
		}
	}
	perror("nfq_delay: recv");
	return 1;
}
