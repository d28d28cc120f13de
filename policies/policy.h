// SPDX-License-Identifier: MIT
/*
 * The policies: what twshim changes, when told to, about how a program's
 * connections are made and closed. One file each; the shim calls them only
 * through the hooks below (registry.c), and only for tracked TCP sockets.
 *
 * With no TWSHIM_* policy variable set, every policy is off and the shim
 * only observes. A policy whose variable is malformed stays off, after one
 * line on stderr naming the variable, its value and what is valid (or,
 * with TWSHIM_STRICT=1, the shim refuses to start: see registry.c).
 */
#ifndef TW_POLICY_H
#define TW_POLICY_H

#include <stddef.h>
#include <sys/socket.h>

#include "config.h"
#include "fdtable.h"
#include "ledger_write.h"

/* What close() is about to do, as the shim saw it just before. */
struct tw_close_ctx {
	int fd;
	struct tw_fd *v;            /* the entry as it was (a copy) */
	enum tw_close_class cls;    /* what the kernel will do if nothing changes */
	struct tw_slot *slot;       /* where to count, may be NULL */
	int dest;
	int tcp_state;              /* as the kernel answered, -1 unknown */
	int over;                   /* both FINs done already: nothing left to change */
	int at_exit;                /* the process is exiting: the kernel closes the fd, now;
	                             * nothing may be held or waited for */
	int shared;                 /* other fds, maybe other processes, hold the socket too:
	                             * only a change that acts when the last lets go is safe */
	int act;                    /* set by the policy that changed cls: its enum tw_act,
	                             * counted once the kernel has shown what the close did */
};

/* A connect() about to be made, and made again after a failure. */
struct tw_connect_ctx {
	int fd;
	struct tw_fd *e;
	const struct sockaddr *addr;
	socklen_t len;
	struct tw_addr key;         /* the destination, as tw_dest_key() makes it */
	struct tw_slot *slot;
	int dest;
	int blocking;               /* 1, 0, or -1 not asked yet: tw_connect_blocking() */
	int err;                    /* the last attempt's errno */
	uint64_t started_ns;        /* the first attempt */
	uint64_t tried;             /* sources.c: addresses already tried, a bit each */
	int spread_port;            /* sources.c: the port the spread bound, 0 none */
	int spread_waits;           /* sources.c: ms waited for that port */
};

enum tw_close_verdict {
	TW_CLOSE_AS_IS = 0,    /* nothing changed: count as classified */
	TW_CLOSE_CHANGED,      /* the policy changed how it closes; cls says how */
	TW_CLOSE_TAKEN,        /* the policy holds the connection and will count it */
};

struct tw_policy {
	const char *name;
	/* Reads the policy's variables. 1: on; 0: off (its variables unset),
	 * and none of its hooks is called, so that a program pays nothing for
	 * the policies it does not use; -1: a value is bad, err says which and
	 * what is valid, and the policy stays off. */
	int (*configure)(tw_getenv_fn get, char *err, size_t errlen);
	/* Before bind() of a tracked socket. */
	void (*before_bind)(int fd, struct tw_fd *e, struct tw_slot *s);
	/* Before connect() of a tracked socket the program did not bind. */
	void (*before_connect)(struct tw_connect_ctx *c);
	/* After connect() failed with EADDRNOTAVAIL or EADDRINUSE: 1 to try
	 * again (the policy has prepared the socket), 0 to give up. */
	int (*retry_connect)(struct tw_connect_ctx *c);
	/* A tracked connection ended (cls as counted). Async-signal-safe. */
	void (*closed)(const struct tw_fd *v, enum tw_close_class cls);
	/* At close(), before the fd goes. Async-signal-safe, like close(). */
	enum tw_close_verdict (*at_close)(struct tw_close_ctx *c);
	/* Fork child, and exit: drop or finish what the policy holds. */
	void (*after_fork_child)(void);
	void (*at_exit)(void);
};

extern const struct tw_policy tw_policy_reuseaddr;
extern const struct tw_policy tw_policy_close;
extern const struct tw_policy tw_policy_sources;
extern const struct tw_policy tw_policy_retry;
extern const struct tw_policy tw_policy_hints;

/* hints.c: called after each connect() that took a port or failed for want
 * of one (EADDRNOTAVAIL, EADDRINUSE), whatever the scope;
 * now_ns is when connect() returned (tw_now_ns), so that the hook, on every
 * connection, reads no clock of its own. */
void tw_hints_after_connect(struct tw_slot *s, int dest, uint64_t now_ns);

/* registry.c: the hooks the shim calls. */
/* -1: TWSHIM_STRICT=1 and a bad value, which err names (nothing logged). */
int tw_policies_configure(tw_getenv_fn get, char *err, size_t errlen);
void tw_policies_before_bind(int fd, struct tw_fd *e);
void tw_policies_before_connect(struct tw_connect_ctx *c);
int tw_policies_retry_connect(struct tw_connect_ctx *c);
void tw_policies_closed(const struct tw_fd *v, enum tw_close_class cls);

/* registry.c: whether c's socket blocks (a policy may sleep in its
 * connect() only then); asked of the kernel once per connect(). */
int tw_connect_blocking(struct tw_connect_ctx *c);
/* sources.c, for retry.c: bind c's socket to the next-best source address
 * not tried yet. 1 if it did. */
int tw_sources_next(struct tw_connect_ctx *c);
/* Whether a policy that is on has an at_close hook: when none has, close()
 * skips preparing its context. */
int tw_policies_at_close_wanted(void);
/* Whether p is on in this process. */
int tw_policy_on(const struct tw_policy *p);
/* close.c: whether the connections the program opens get a close mode. */
int tw_close_outgoing_on(void);
/* sources.c: whether TWSHIM_SOURCE_ADDRS spreads over addresses. */
int tw_sources_addrs_on(void);
/* Whether a policy that is on has a before_connect hook: only then does
 * connect() read the destination before the call. */
int tw_policies_before_connect_wanted(void);
enum tw_close_verdict tw_policies_at_close(struct tw_close_ctx *c);
void tw_policies_after_fork_child(void);
void tw_policies_at_exit(void);

/* registry.c, for the policies' parsers: a 0/1 variable (unset: dflt),
 * and the first line of a sysctl of this network namespace ("" if none). */
int tw_parse_switch(const char *name, const char *v, int dflt, int *out, char *err,
                    size_t errlen);
void tw_read_sysctl(const char *path, char *buf, size_t len);

/* Destination scope (scope.c): TWSHIM_ONLY / TWSHIM_EXCEPT. */
int tw_scope_configure(tw_getenv_fn get, char *err, size_t errlen);
int tw_scope_applies(const struct tw_addr *dest);

#endif
