// SPDX-License-Identifier: MIT
/*
 * The settings that decide what TIME_WAIT costs on this host, read from
 * /proc/sys and /proc/net of the current network namespace. Anything that
 * cannot be read (no such sysctl on this kernel, no permission, conntrack
 * not loaded) is marked absent with the reason; nothing here is fatal.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostcfg.h"

static int read_text(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path,
		         errno == ENOENT ? "not on this kernel" : strerror(errno));
		return -1;
	}
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	return 0;
}

static void knob(struct tw_knob *k, const char *path, int field)
{
	char buf[256], *p = buf, *end;

	memset(k, 0, sizeof(*k));
	if (read_text(path, buf, sizeof(buf), k->err, sizeof(k->err)) < 0)
		return;
	for (int i = 0; i < field; i++) {
		strtoll(p, &end, 10);
		p = end;
	}
	errno = 0;
	k->v = strtoll(p, &end, 10);
	if (end == p || errno) {
		snprintf(k->err, sizeof(k->err), "%s: unexpected content '%.40s'", path, buf);
		return;
	}
	k->present = 1;
}

static int set_port_range(struct tw_ports *p, long a, long b)
{
	if (a < 0 || b > 65535 || a > b)
		return -1;
	for (long i = a; i <= b; i++)
		p->reserved[i / 8] |= (uint8_t)(1u << (i % 8));
	return 0;
}

int tw_ports_parse(struct tw_ports *p, const char *range, const char *reserved, char *err,
                   size_t errlen)
{
	const char *s = reserved;
	char *end;
	long lo, hi;

	memset(p, 0, sizeof(*p));
	lo = strtol(range, &end, 10);
	hi = end != range ? strtol(end, &end, 10) : -1;
	if (lo < 1 || hi > 65535 || lo > hi) {
		snprintf(err, errlen, "ip_local_port_range '%s' is not 'LOW HIGH'", range);
		return -1;
	}
	p->lo = (int)lo;
	p->hi = (int)hi;
	while (s && *s) {
		long a = strtol(s, &end, 10), b = a;
		if (end == s)
			goto bad;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s)
				goto bad;
		}
		if (set_port_range(p, a, b) < 0)
			goto bad;
		s = end;
		while (*s == ',' || isspace((unsigned char)*s))
			s++;
	}
	for (int i = p->lo; i <= p->hi; i++)
		p->nreserved += (p->reserved[i / 8] >> (i % 8)) & 1;
	p->usable = p->hi - p->lo + 1 - p->nreserved;
	return 0;
bad:
	snprintf(err, errlen, "ip_local_reserved_ports '%s' is not a list of ports and ranges",
	         reserved);
	return -1;
}

/* One counter of /proc/net/netstat: a header line of names, then values. */
static void netstat_knob(struct tw_knob *k, const char *group, const char *name)
{
	static const char path[] = "/proc/net/netstat";
	char line[8192], values[8192];
	FILE *f = fopen(path, "re");

	memset(k, 0, sizeof(*k));
	if (!f) {
		snprintf(k->err, sizeof(k->err), "%s: %s", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) && fgets(values, sizeof(values), f)) {
		char *ns, *vs, *n, *v;
		if (strncmp(line, group, strlen(group)) != 0)
			continue;
		n = strtok_r(line, " \n", &ns);
		v = strtok_r(values, " \n", &vs);
		while ((n = strtok_r(NULL, " \n", &ns)) && (v = strtok_r(NULL, " \n", &vs))) {
			if (strcmp(n, name) == 0) {
				k->v = strtoll(v, NULL, 10);
				k->present = 1;
				fclose(f);
				return;
			}
		}
	}
	fclose(f);
	snprintf(k->err, sizeof(k->err), "%s: no %s%s", path, group, name);
}

/* "TCP: inuse 1 orphan 0 tw 1 alloc 3 mem 0" */
static void sockstat(struct tw_host *h)
{
	static const char path[] = "/proc/net/sockstat";
	struct { const char *name; struct tw_knob *k; } want[] = {
		{ "inuse", &h->sockstat_inuse }, { "orphan", &h->sockstat_orphan },
		{ "tw", &h->sockstat_tw },       { "mem", &h->sockstat_mem },
	};
	char buf[1024], line[256], *at;
	size_t n;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		memset(want[i].k, 0, sizeof(*want[i].k));
	if (read_text(path, buf, sizeof(buf), h->sockstat_tw.err, sizeof(h->sockstat_tw.err)) < 0)
		return;
	at = strstr(buf, "\nTCP: ");
	if (!at)
		return;
	n = strcspn(at + 1, "\n");
	snprintf(line, sizeof(line), "%.*s ", (int)n, at + 1);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char key[16];
		snprintf(key, sizeof(key), " %s ", want[i].name);
		at = strstr(line, key);
		if (at) {
			want[i].k->v = strtoll(at + strlen(key), NULL, 10);
			want[i].k->present = 1;
		}
	}
}

void tw_host_read(struct tw_host *h)
{
	static const struct { const char *path; size_t off; int field; } knobs[] = {
#define K(path, member, field) { path, offsetof(struct tw_host, member), field }
		K("/proc/sys/net/ipv4/tcp_tw_reuse", tw_reuse, 0),
		K("/proc/sys/net/ipv4/tcp_tw_reuse_delay", tw_reuse_delay, 0),
		K("/proc/sys/net/ipv4/tcp_timestamps", timestamps, 0),
		K("/proc/sys/net/ipv4/tcp_max_tw_buckets", max_tw_buckets, 0),
		K("/proc/sys/net/ipv4/tcp_fin_timeout", fin_timeout, 0),
		K("/proc/sys/net/ipv4/tcp_tw_recycle", tw_recycle, 0),
		K("/proc/sys/net/ipv4/tcp_mem", tcp_mem_pressure, 1),
		K("/proc/sys/net/ipv4/tcp_mem", tcp_mem_max, 2),
		K("/proc/sys/net/netfilter/nf_conntrack_count", ct_count, 0),
		K("/proc/sys/net/netfilter/nf_conntrack_max", ct_max, 0),
#undef K
	};
	char range[64], err[96];

	memset(h, 0, sizeof(*h));
	if (read_text("/proc/sys/net/ipv4/ip_local_port_range", range, sizeof(range), h->range_err,
	              sizeof(h->range_err)) == 0) {
		if (read_text("/proc/sys/net/ipv4/ip_local_reserved_ports", h->reserved_text,
		              sizeof(h->reserved_text), err, sizeof(err)) < 0)
			h->reserved_text[0] = '\0';
		if (tw_ports_parse(&h->ports, range, h->reserved_text, h->range_err,
		                   sizeof(h->range_err)) < 0)
			memset(&h->ports, 0, sizeof(h->ports));
	}
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		knob((struct tw_knob *)((char *)h + knobs[i].off), knobs[i].path, knobs[i].field);
	netstat_knob(&h->tw_overflow, "TcpExt:", "TCPTimeWaitOverflow");
	sockstat(h);
}
