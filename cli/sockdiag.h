// SPDX-License-Identifier: MIT
/* The kernel's TCP sockets in one network namespace, as `twshim doctor`
 * reads them (sockdiag.c): sockets per state from NETLINK_SOCK_DIAG, and
 * TIME_WAIT grouped by what its entries hold. */
#ifndef TW_SOCKDIAG_H
#define TW_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

#define TW_TCP_STATES 13 /* TCP_ESTABLISHED (1) .. TCP_NEW_SYN_RECV (12) */

struct tw_ports; /* hostcfg.h */

/* TIME_WAIT entries sharing a key. Outgoing: this host connected out, the
 * key is (local address, remote address and port) and every entry holds
 * one of the local ephemeral ports toward that destination. Incoming: the
 * local port is one this host listens on, so this host's service closed
 * first; the key is (local address and port, remote address). */
struct tw_tw_group {
	uint8_t family;       /* 4 or 6 */
	uint8_t incoming;
	uint16_t port;        /* remote port (outgoing) or local port (incoming) */
	uint8_t local[16];
	uint8_t remote[16];
	uint32_t count;
	uint32_t in_range;    /* outgoing: local port inside the usable ephemeral range */
	uint32_t last10s;     /* created in the last 10 s (timer above 50 s) */
	uint32_t next10s;     /* expiring in the next 10 s */
	                      /* (both of in_range only, for outgoing groups) */
	uint32_t min_ms, max_ms; /* remaining timer, newest entry has the highest */
};

struct tw_kview {
	uint64_t states[TW_TCP_STATES];
	uint64_t total;
	uint64_t time_wait;
	uint32_t tw_min_ms, tw_max_ms;
	struct tw_tw_group *groups; /* sorted: most entries first */
	size_t ngroups;
};

/* Dumps every TCP socket of the current network namespace (IPv4 and IPv6,
 * one state-filtered dump for TIME_WAIT and one for the rest). ports, if
 * set, classifies outgoing entries as inside the usable range. Returns 0, or
 * -1 with one line in err. kv->groups is malloc'd: tw_kview_free(). */
int tw_kview_read(struct tw_kview *kv, const struct tw_ports *ports, char *err, size_t errlen);
void tw_kview_free(struct tw_kview *kv);

/* "10.0.0.1", "::1", and the "10.0.0.1:80" / "[::1]:80" the ledger uses. */
void tw_kaddr_format(char *out, size_t len, uint8_t family, const uint8_t *addr);
void tw_kendpoint_format(char *out, size_t len, uint8_t family, const uint8_t *addr,
                         uint16_t port);

int tw_kaddr_loopback(uint8_t family, const uint8_t *addr);
/* A group's two ends as shown: outgoing, a = the source address and b =
 * the destination ip:port; incoming, a = the service's ip:port and b = the
 * client's address. */
void tw_group_ends(const struct tw_tw_group *g, char *a, size_t alen, char *b, size_t blen);

extern const char *const tw_tcp_state_names[TW_TCP_STATES];

#endif
