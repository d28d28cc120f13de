// SPDX-License-Identifier: MIT
/*
 * The kernel's TCP sockets, by NETLINK_SOCK_DIAG dump: the way ss(8) reads
 * them, without parsing its output or /proc/net/tcp (which takes about six
 * times as long for 100,000 TIME_WAIT entries).
 *
 * Two dumps per family: one filtered to TIME_WAIT, whose entries are
 * grouped in a hash table as they arrive (nothing per socket is kept), and
 * one of every other state, counted, and the listening ports noted so that
 * an entry whose local port is a listener is known to be the service's own
 * (incoming) rather than an ephemeral port spent connecting out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostcfg.h"
#include "sockdiag.h"

const char *const tw_tcp_state_names[TW_TCP_STATES] = {
	"UNKNOWN",    "ESTABLISHED", "SYN_SENT",   "SYN_RECV",  "FIN_WAIT1",
	"FIN_WAIT2",  "TIME_WAIT",   "CLOSE",      "CLOSE_WAIT", "LAST_ACK",
	"LISTEN",     "CLOSING",     "NEW_SYN_RECV",
};

/* TIME_WAIT lasts TCP_TIMEWAIT_LEN, 60 s: the remaining timer tells age. */
#define TW_LEN_MS 60000u

struct gtable {
	struct tw_tw_group *g;
	size_t n, cap;        /* cap: a power of two */
	uint8_t listen[65536 / 8];
};

static void unmap(uint8_t *family, uint8_t *addr)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (*family == 6 && memcmp(addr, mapped, 12) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = 4;
	}
}

static uint64_t ghash(const struct tw_tw_group *k)
{
	uint64_t h = 1469598103934665603ull;
	const uint8_t *parts[2] = { k->local, k->remote };

	for (int p = 0; p < 2; p++)
		for (int i = 0; i < 16; i++)
			h = (h ^ parts[p][i]) * 1099511628211ull;
	h = (h ^ k->port) * 1099511628211ull;
	return (h ^ (uint64_t)(k->family << 1 | k->incoming)) * 1099511628211ull;
}

static int same(const struct tw_tw_group *a, const struct tw_tw_group *b)
{
	return a->count && a->family == b->family && a->incoming == b->incoming &&
	       a->port == b->port && memcmp(a->local, b->local, 16) == 0 &&
	       memcmp(a->remote, b->remote, 16) == 0;
}

static int grow(struct gtable *t)
{
	size_t cap = t->cap ? t->cap * 2 : 256;
	struct tw_tw_group *g = calloc(cap, sizeof(*g));

	if (!g)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->g[i].count)
			continue;
		size_t j = ghash(&t->g[i]) & (cap - 1);
		while (g[j].count)
			j = (j + 1) & (cap - 1);
		g[j] = t->g[i];
	}
	free(t->g);
	t->g = g;
	t->cap = cap;
	return 0;
}

static int add_tw(struct gtable *t, const struct tw_tw_group *k, int in_range, uint32_t ms)
{
	size_t j;

	if ((t->n + 1) * 4 > t->cap * 3 && grow(t) < 0)
		return -1;
	j = ghash(k) & (t->cap - 1);
	while (t->g[j].count && !same(&t->g[j], k))
		j = (j + 1) & (t->cap - 1);
	if (!t->g[j].count) {
		t->g[j] = *k;
		t->g[j].min_ms = ms;
		t->g[j].max_ms = ms;
		t->n++;
	}
	t->g[j].count++;
	t->g[j].in_range += in_range != 0;
	/* Outgoing: the rate at which the usable range fills. */
	if (in_range || k->incoming) {
		t->g[j].last10s += ms > TW_LEN_MS - 10000u;
		t->g[j].next10s += ms < 10000u;
	}
	if (ms < t->g[j].min_ms)
		t->g[j].min_ms = ms;
	if (ms > t->g[j].max_ms)
		t->g[j].max_ms = ms;
	return 0;
}

static int port_usable(const struct tw_ports *p, unsigned port)
{
	return p && (int)port >= p->lo && (int)port <= p->hi &&
	       !(p->reserved[port / 8] & (1u << (port % 8)));
}

struct dump {
	struct tw_kview *kv;
	struct gtable *t;
	const struct tw_ports *ports;
	int tw_pass;
};

static int one(struct dump *d, const struct inet_diag_msg *m)
{
	struct tw_tw_group k;
	unsigned sport = ntohs(m->id.idiag_sport);

	if (m->idiag_state < TW_TCP_STATES)
		d->kv->states[m->idiag_state]++;
	d->kv->total++;
	if (m->idiag_state == TCP_LISTEN)
		d->t->listen[sport / 8] |= (uint8_t)(1u << (sport % 8));
	if (m->idiag_state != TCP_TIME_WAIT)
		return 0;
	d->kv->time_wait++;
	if (d->kv->time_wait == 1 || m->idiag_expires < d->kv->tw_min_ms)
		d->kv->tw_min_ms = m->idiag_expires;
	if (m->idiag_expires > d->kv->tw_max_ms)
		d->kv->tw_max_ms = m->idiag_expires;
	memset(&k, 0, sizeof(k));
	k.family = m->idiag_family == AF_INET ? 4 : 6;
	memcpy(k.local, m->id.idiag_src, 16);
	memcpy(k.remote, m->id.idiag_dst, 16);
	if (k.family == 4) {
		memset(k.local + 4, 0, 12);
		memset(k.remote + 4, 0, 12);
	} else { /* an IPv6 socket talking IPv4: keyed as IPv4, like the ledger */
		uint8_t local_family = 6;
		unmap(&local_family, k.local);
		unmap(&k.family, k.remote);
	}
	k.incoming = (d->t->listen[sport / 8] >> (sport % 8)) & 1;
	if (k.incoming) {
		k.port = (uint16_t)sport;
	} else {
		k.port = ntohs(m->id.idiag_dport);
	}
	return add_tw(d->t, &k, !k.incoming && port_usable(d->ports, sport), m->idiag_expires);
}

static int dump_family(int fd, struct dump *d, int family, uint32_t states, char *err,
                       size_t errlen)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	static char buf[64 * 1024] __attribute__((aligned(NLMSG_ALIGNTO)));

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = (uint32_t)(family * 100 + d->tw_pass);
	req.r.sdiag_family = (uint8_t)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = states;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0) {
		snprintf(err, errlen, "sock_diag: send: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "sock_diag: receive: %s",
			         n < 0 ? strerror(errno) : "connection closed");
			return -1;
		}
		for (size_t left = (size_t)n; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				/* No IPv6 in this kernel: nothing to count there. */
				if (family == AF_INET6 && e->error == -ENOENT)
					return 0;
				snprintf(err, errlen, "sock_diag: %s", strerror(-e->error));
				return -1;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			if (one(d, NLMSG_DATA(h)) < 0) {
				snprintf(err, errlen, "sock_diag: out of memory grouping TIME_WAIT");
				return -1;
			}
		}
	}
}

static int by_count(const void *a, const void *b)
{
	const struct tw_tw_group *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->incoming != y->incoming)
		return x->incoming - y->incoming;
	return memcmp(x->remote, y->remote, 16);
}

int tw_kview_read(struct tw_kview *kv, const struct tw_ports *ports, char *err, size_t errlen)
{
	const uint32_t all = (1u << TW_TCP_STATES) - 1;
	struct gtable *t = calloc(1, sizeof(*t));
	struct dump d = { .kv = kv, .t = t, .ports = ports };
	int fd, rc = 0;

	memset(kv, 0, sizeof(*kv));
	if (!t) {
		snprintf(err, errlen, "sock_diag: out of memory");
		return -1;
	}
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		snprintf(err, errlen, "sock_diag: cannot open a NETLINK_SOCK_DIAG socket: %s",
		         strerror(errno));
		free(t);
		return -1;
	}
	/* Listeners first, so the TIME_WAIT pass can tell incoming entries. */
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		uint32_t states = pass == 0 ? all & ~(1u << TCP_TIME_WAIT) : 1u << TCP_TIME_WAIT;
		d.tw_pass = pass;
		rc = dump_family(fd, &d, AF_INET, states, err, errlen);
		if (rc == 0)
			rc = dump_family(fd, &d, AF_INET6, states, err, errlen);
	}
	close(fd);
	if (rc == 0) {
		size_t n = 0;
		for (size_t i = 0; i < t->cap; i++)
			if (t->g[i].count)
				t->g[n++] = t->g[i];
		kv->groups = t->g;
		kv->ngroups = n;
		if (n > 1) /* no TIME_WAIT at all: groups is NULL */
			qsort(kv->groups, n, sizeof(*kv->groups), by_count);
	} else {
		free(t->g);
	}
	free(t);
	return rc;
}

void tw_kview_free(struct tw_kview *kv)
{
	free(kv->groups);
	kv->groups = NULL;
	kv->ngroups = 0;
}

void tw_kaddr_format(char *out, size_t len, uint8_t family, const uint8_t *addr)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, out, (socklen_t)len))
		snprintf(out, len, "?");
}

void tw_kendpoint_format(char *out, size_t len, uint8_t family, const uint8_t *addr,
                         uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];

	tw_kaddr_format(ip, sizeof(ip), family, addr);
	if (family == 4)
		snprintf(out, len, "%s:%u", ip, port);
	else
		snprintf(out, len, "[%s]:%u", ip, port);
}

int tw_kaddr_loopback(uint8_t family, const uint8_t *addr)
{
	static const uint8_t v6lo[16] = { [15] = 1 };

	return family == 4 ? addr[0] == 127 : memcmp(addr, v6lo, 16) == 0;
}

void tw_group_ends(const struct tw_tw_group *g, char *a, size_t alen, char *b, size_t blen)
{
	if (g->incoming) {
		tw_kendpoint_format(a, alen, g->family, g->local, g->port);
		tw_kaddr_format(b, blen, g->family, g->remote);
	} else {
		tw_kaddr_format(a, alen, g->family, g->local);
		tw_kendpoint_format(b, blen, g->family, g->remote, g->port);
	}
}
