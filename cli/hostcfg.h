// SPDX-License-Identifier: MIT
/* The host settings that decide what TIME_WAIT costs, as `twshim doctor`
 * reads them (hostcfg.c): the port range and its reserved ports, the
 * tcp_tw_* sysctls, the socket counters. */
#ifndef TW_HOSTCFG_H
#define TW_HOSTCFG_H

#include <stddef.h>
#include <stdint.h>

/* The default ip_local_port_range, 32768-60999: a narrower one is worth a note. */
#define TW_DEFAULT_RANGE_PORTS 28232

/* Port ranges, as the kernel reads them. */
struct tw_ports {
	int lo, hi;           /* ip_local_port_range */
	uint8_t reserved[65536 / 8]; /* ip_local_reserved_ports, as a bitmap */
	int nreserved;        /* reserved ports inside [lo, hi] */
	int usable;           /* hi - lo + 1 - nreserved */
};

/* A sysctl or counter: present is 0 when this kernel has none, or it could
 * not be read (err says why). */
struct tw_knob {
	int present;
	long long v;
	char err[96];
};

struct tw_host {
	struct tw_ports ports;
	char reserved_text[256];  /* as written in the sysctl */
	struct tw_knob tw_reuse, tw_reuse_delay, timestamps, max_tw_buckets, tw_overflow;
	struct tw_knob fin_timeout, tw_recycle, ct_count, ct_max;
	struct tw_knob sockstat_tw, sockstat_inuse, sockstat_orphan, sockstat_mem; /* pages */
	struct tw_knob tcp_mem_pressure, tcp_mem_max; /* pages: tcp_mem's 2nd and 3rd */
	char range_err[96];       /* why the port range could not be read, or "" */
};

/* Reads the settings; what cannot be read is marked, never fatal. */
void tw_host_read(struct tw_host *h);

/* Parses "lo hi" and a reserved-ports list ("1,5-9") into p. Returns 0,
 * or -1 with err set. Exposed for the unit tests. */
int tw_ports_parse(struct tw_ports *p, const char *range, const char *reserved, char *err,
                   size_t errlen);

#endif
