// SPDX-License-Identifier: MIT
/*
 * The policies: what twshim changes, when told to, about how a program's
 * connections are made and closed. One file each, defining a struct
 * tw_policy; the shim calls them only through its hooks, walked by the
 * registry (registry.h), and only for tracked TCP sockets. A policy uses of
 * the shim only what services.h names, and no other policy's internals:
 * what one policy offers another goes through the contexts below (as
 * other_source) or the registry (as covers). HACKING.md says how to add one.
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

#include "services.h"

/* Counts the end of a connection that a policy held past its close():
 * its class, and what the policy did (an enum tw_act; -1 nothing). Called
 * once, from any thread. Async-signal-safe. */
typedef void (*tw_ended_fn)(const struct tw_fd *v, enum tw_close_class cls, int act);

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
	tw_ended_fn ended;          /* for a policy that takes the connection (TW_CLOSE_TAKEN):
	                             * how to count its end, once it comes */
};

/* A connect() about to be made, made again after a failure, and made. */
struct tw_connect_ctx {
	int fd;
	struct tw_fd *e;
	const struct sockaddr *addr;
	socklen_t len;
	struct tw_addr key;         /* the destination, as tw_dest_key() makes it */
	struct tw_slot *slot;
	int dest;
	int blocking;               /* 1, 0, or -1 not asked yet: tw_connect_blocking() */
	int err;                    /* the last attempt's errno (0: it took a port) */
	uint64_t started_ns;        /* the first attempt */
	uint64_t done_ns;           /* after_connect: when connect() returned */
	unsigned covered;           /* after_connect: the hints' advice that policies on
	                             * have taken already (TW_HINT_CLOSE_ON...; covers) */
	/* Set by the policy that picks source addresses (sources.c), in
	 * before_connect: binds the socket to another source address not
	 * tried yet; 1 if it did. For retry.c, which tries that first. */
	int (*other_source)(struct tw_connect_ctx *c);
	uint64_t tried;             /* sources.c: addresses already tried, a bit each */
	int spread_port;            /* sources.c: the port the spread bound, 0 none */
	int spread_waits;           /* sources.c: ms waited for that port */
};

/* Whether c's socket blocks (a policy may sleep in its connect() only
 * then); asked of the kernel once per connect(). */
static inline int tw_connect_blocking(struct tw_connect_ctx *c)
{
	if (c->blocking < 0)
		c->blocking = tw_fd_blocking(c->fd);
	return c->blocking;
}

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
	/* The hints' advice this policy, as configured, has taken already
	 * (TW_HINT_CLOSE_ON, TW_HINT_SOURCES_ON): no hint advises it again. */
	unsigned (*covers)(void);
	/* Before bind() of a tracked socket. */
	void (*before_bind)(int fd, struct tw_fd *e, struct tw_slot *s);
	/* Before connect() of a tracked socket the program did not bind. */
	void (*before_connect)(struct tw_connect_ctx *c);
	/* After connect() failed with EADDRNOTAVAIL or EADDRINUSE: 1 to try
	 * again (the policy has prepared the socket), 0 to give up. */
	int (*retry_connect)(struct tw_connect_ctx *c);
	/* After each connect() that took a port (c->err 0) or failed for want
	 * of one (EADDRNOTAVAIL, EADDRINUSE), whatever the scope: c->done_ns
	 * is when it returned, so that the hook reads no clock of its own. */
	void (*after_connect)(struct tw_connect_ctx *c);
	/* After connect() or accept() made a connection on fd: never from
	 * close(), but maybe in a signal handler (a program may connect there):
	 * a hook that does what is not async-signal-safe (start a thread) must
	 * check for itself, as closer.c's maybe_in_handler() does. Guard raised. */
	void (*opened)(int fd);
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

#endif
