// SPDX-License-Identifier: MIT
/*
 * The fd table: what the shim knows about each file descriptor number.
 *
 * A two-level array indexed by fd number: a directory of chunk pointers
 * covering every fd Linux can hand out (fs.nr_open tops out below 2^31), and
 * chunks of TW_FD_CHUNK entries mapped on first use. Looking an fd up is two
 * loads, no lock and no system call: that is all a file, pipe or UNIX socket
 * pays when it passes through close() or dup().
 */
#ifndef TW_FDTABLE_H
#define TW_FDTABLE_H

#include <stdatomic.h>
#include <stdint.h>

enum tw_fd_kind {
	TW_FD_NONE = 0,  /* unknown to us: files, pipes, sockets made elsewhere */
	TW_FD_TCP = 1,   /* an IPv4/IPv6 TCP socket */
	TW_FD_OTHER = 2, /* a socket we saw created that is not TCP */
	TW_FD_HELD = 3,  /* the shim's own (ownfd.h): the program never opened it */
};

enum tw_conn_state {
	TW_CS_NEW = 0,      /* created, not connected */
	TW_CS_CONNECTING,   /* non-blocking connect() in progress */
	TW_CS_CONNECTED,    /* we connected */
	TW_CS_ACCEPTED,     /* we accepted */
	TW_CS_LISTENING,    /* a listener we accepted on */
};

enum tw_fd_flag {
	TW_F_SHARED = 1 << 0,      /* dup'd or inherited over fork: others may hold it */
	TW_F_LINGER0 = 1 << 1,     /* the application set SO_LINGER {1, 0} */
	TW_F_SHUT_ACTIVE = 1 << 2, /* shut down for writing while ESTABLISHED */
	TW_F_SHUT_PASSIVE = 1 << 3,/* shut down for writing after the peer's FIN */
	TW_F_SHUT_RD = 1 << 4,     /* shut down for reading: reads say EOF whatever the peer did */
	TW_F_SENT = 1 << 5,        /* sent with SCM_RIGHTS: held where the shim cannot see */
	TW_F_COPIED = 1 << 6,      /* dup'd or inherited: other tracked copies may hold it */
	TW_F_FORKED = 1 << 7,      /* inherited over fork: another process may hold it */
};

/* An address as the socket has it (IPv4-mapped IPv6 stays IPv6 here). */
struct tw_addr {
	uint8_t family;  /* 0 unknown, 4, 6 */
	uint8_t pad;
	uint16_t port;   /* host byte order */
	uint8_t addr[16];
};

struct tw_fd {
	_Atomic uint32_t kind;     /* enum tw_fd_kind; close() claims it by exchange */
	uint8_t state;             /* enum tw_conn_state */
	uint8_t flags;             /* enum tw_fd_flag */
	int16_t dest;              /* index in the slot's destinations, -1 none */
	int16_t slot;              /* ledger slot counting it as open, -1 none */
	uint8_t family;            /* the socket's: 4 or 6 */
	uint8_t src;               /* sources.c: 1 + the source address chosen, 0 none */
	uint32_t slot_gen;         /* that slot's generation then */
	_Atomic uint32_t seq;      /* bumped whenever the entry is replaced or taken */
	uint32_t pad2;
	uint64_t open_ns;          /* connected or accepted, CLOCK_MONOTONIC */
	uint64_t cookie;           /* SO_COOKIE at connect or accept under a close
	                            * policy, else 0: which socket the entry speaks
	                            * for, checked before a policy acts at close (a
	                            * number closed unseen comes back as anything: a
	                            * pipe, a UNIX socket, a file) */
	struct tw_addr local;
	struct tw_addr remote;
};

#define TW_FD_CHUNK_SHIFT 12u
#define TW_FD_CHUNK       (1u << TW_FD_CHUNK_SHIFT)
#define TW_FD_DIR         (1u << 19)     /* 2^31 fds */

extern _Atomic(struct tw_fd *) tw_fd_dir[TW_FD_DIR];

/* Flags change from any thread that uses the fd (setsockopt, shutdown,
 * sendmsg, dup, fork): atomically, so that none is lost to another. */
static inline void tw_fd_flags_set(struct tw_fd *e, uint8_t f)
{
	__atomic_fetch_or(&e->flags, f, __ATOMIC_RELAXED);
}

static inline void tw_fd_flags_clear(struct tw_fd *e, uint8_t f)
{
	__atomic_fetch_and(&e->flags, (uint8_t)~f, __ATOMIC_RELAXED);
}

/* The entry of fd, or NULL when its chunk was never needed. No allocation. */
static inline struct tw_fd *tw_fd_get(int fd)
{
	struct tw_fd *chunk;

	if (fd < 0)
		return 0;
	chunk = atomic_load_explicit(&tw_fd_dir[(unsigned)fd >> TW_FD_CHUNK_SHIFT],
	                             memory_order_acquire);
	return chunk ? &chunk[(unsigned)fd & (TW_FD_CHUNK - 1)] : 0;
}

static inline uint32_t tw_fd_kind(const struct tw_fd *e)
{
	return e ? atomic_load_explicit(&e->kind, memory_order_acquire) : TW_FD_NONE;
}

/* Which socket fd holds now, in one word (its number and its entry's
 * sequence, bumped whenever the entry is replaced or taken), for
 * tw_fd_token_same() to say later whether fd still holds that socket: a
 * policy that remembers a socket by its number (sources.c) asks it. */
static inline uint64_t tw_fd_token(int fd, struct tw_fd *e)
{
	return (uint64_t)(fd + 1) << 32 | atomic_load_explicit(&e->seq, memory_order_relaxed);
}

static inline int tw_fd_token_same(uint64_t token)
{
	struct tw_fd *e = token ? tw_fd_get((int)(token >> 32) - 1) : 0;

	return e && tw_fd_kind(e) == TW_FD_TCP &&
	       atomic_load_explicit(&e->seq, memory_order_relaxed) == (uint32_t)token;
}

/* The entry of fd, its chunk mapped if needed; NULL only if mmap fails. */
struct tw_fd *tw_fd_get_alloc(int fd);

/* Calls fn for each fd in [lo, hi] whose entry is not TW_FD_NONE. */
void tw_fd_foreach(unsigned lo, unsigned hi, void (*fn)(int fd, struct tw_fd *e, void *arg),
                   void *arg);

/* One past the highest fd number the table has room for now. */
unsigned tw_fd_span(void);

/* Store a new entry for fd: fields first, kind last (release). */
void tw_fd_publish(struct tw_fd *e, const struct tw_fd *v);

#endif
