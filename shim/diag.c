// SPDX-License-Identifier: MIT
/*
 * The kernel's own record of one connection, by its exact 4-tuple: one
 * NETLINK_SOCK_DIAG lookup. Asked after closing a socket that was dup'd or
 * inherited over fork, to tell the last close (the one that sends FIN) from
 * the others: a socket that no fd holds any more (orphaned, or a TIME_WAIT
 * entry) has inode 0. And asked at close() of a socket whose FINs are both
 * done already: a TIME_WAIT entry at its 4-tuple says this side was first. System calls only,
 * on the stack: safe in close() and in signal handlers.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "real.h"
#include "diag.h"

int tw_diag_lookup(uint8_t family, const struct tw_addr *local, const struct tw_addr *remote,
                   int *state, uint64_t *inode)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr h;
		char buf[1024];
	} resp;
	size_t alen = family == 4 ? 4 : 16;
	struct nlmsghdr *h = &resp.h;
	int fd, rc = -1;
	ssize_t n;

	if ((family != 4 && family != 6) || local->family != family || remote->family != family)
		return -1;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = family == 4 ? AF_INET : AF_INET6;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0u;
	req.r.id.idiag_sport = htons(local->port);
	req.r.id.idiag_dport = htons(remote->port);
	memcpy(req.r.id.idiag_src, local->addr, alen);
	memcpy(req.r.id.idiag_dst, remote->addr, alen);
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

	fd = tw_real.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -1;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		goto done;
	/* The kernel answers inside sendto(): never wait for it. */
	n = recv(fd, &resp, sizeof(resp), MSG_DONTWAIT);
	if (n < (ssize_t)sizeof(struct nlmsghdr) || !NLMSG_OK(h, (size_t)n))
		goto done;
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);
		if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error == -ENOENT)
			rc = 0;
	} else if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
	           h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
		const struct inet_diag_msg *m = NLMSG_DATA(h);
		/* No socket of that 4-tuple left: the kernel's lookup then finds
		 * the listener on the local port, which is not this connection. */
		if (m->idiag_state == TCP_LISTEN || m->id.idiag_dport != htons(remote->port)) {
			rc = 0;
		} else {
			*state = m->idiag_state;
			*inode = m->idiag_inode;
			rc = 1;
		}
	}
done:
	tw_real.close(fd);
	return rc;
}

/*
 * Every socket toward dest (its address and port: connections of every
 * process, TIME_WAIT entries included), counted by local address: counts[i]
 * for srcs[i]. One dump, filtered in the kernel by a one-instruction
 * bytecode (INET_DIAG_BC_D_COND: destination port and whole address).
 */
int tw_diag_count_by_source(const struct tw_addr *dest, const struct tw_addr *srcs, int n,
                            uint32_t *counts)
{
	size_t alen = dest->family == 4 ? 4 : 16;
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
		struct rtattr rta;
		struct inet_diag_bc_op op;
		struct inet_diag_hostcond cond;
		uint8_t addr[16];
	} req;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr h;
		char buf[8192];
	} resp;
	uint16_t prog = (uint16_t)(sizeof(req.op) + sizeof(req.cond) + alen);
	int fd, rc = -1;

	if (dest->family != 4 && dest->family != 6)
		return -1;
	memset(&req, 0, sizeof(req));
	memset(counts, 0, sizeof(*counts) * (size_t)n);
	req.nlh.nlmsg_len = (uint32_t)(offsetof(__typeof__(req), op) + prog);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = dest->family == 4 ? AF_INET : AF_INET6;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~(1u << TCP_LISTEN);
	req.rta.rta_type = INET_DIAG_REQ_BYTECODE;
	req.rta.rta_len = (unsigned short)RTA_LENGTH(prog);
	/* Match: go to the end (accept); no match: past it (reject). */
	req.op.code = INET_DIAG_BC_D_COND;
	req.op.yes = prog;
	req.op.no = (unsigned short)(prog + 4);
	req.cond.family = dest->family == 4 ? AF_INET : AF_INET6;
	req.cond.prefix_len = (uint8_t)(alen * 8);
	req.cond.port = dest->port;
	memcpy(req.addr, dest->addr, alen);

	fd = tw_real.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -1;
	if (sendto(fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		goto done;
	for (;;) {
		ssize_t got = recv(fd, &resp, sizeof(resp), 0);
		size_t left = got > 0 ? (size_t)got : 0;

		if (got <= 0)
			goto done;
		for (struct nlmsghdr *h = &resp.h; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			const struct inet_diag_msg *m;

			if (h->nlmsg_type == NLMSG_DONE) {
				rc = 0;
				goto done;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				goto done; /* NLMSG_ERROR: no answer to trust */
			m = NLMSG_DATA(h);
			for (int i = 0; i < n; i++)
				if (srcs[i].family == dest->family &&
				    memcmp(m->id.idiag_src, srcs[i].addr, alen) == 0)
					counts[i]++;
		}
	}
done:
	tw_real.close(fd);
	return rc;
}

int tw_diag_still_open(uint8_t family, const struct tw_addr *local, const struct tw_addr *remote)
{
	uint64_t inode = 0;
	int state, rc = tw_diag_lookup(family, local, remote, &state, &inode);

	return rc == 1 ? inode != 0 : rc;
}
