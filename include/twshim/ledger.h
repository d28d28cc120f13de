// SPDX-License-Identifier: MIT
/*
 * The TIME_WAIT ledger: the shared-memory layout that libtwshim.so writes
 * and the twshim CLI reads. This header is the only thing the two agree on.
 *
 * Rules of the layout:
 *  - fixed-width types only, no pointers: the segment is mapped at different
 *    addresses in different processes (and bitnesses must match: x86_64 only
 *    is tested);
 *  - every field a writer updates after the slot is published is _Atomic;
 *  - any change to a size, an offset or a meaning bumps TW_LEDGER_VERSION.
 *    tests/unit/test_layout.c pins the offsets so that a change is noticed.
 *
 * Readers never trust the segment: every count, index, length and string
 * is bounds-checked before use (cli/ledger_read.c).
 */
#ifndef TWSHIM_LEDGER_H
#define TWSHIM_LEDGER_H

#include <stdatomic.h>
#include <stdint.h>

#define TW_LEDGER_MAGIC   UINT64_C(0x31305244474c5754) /* "TWLGDR01" */
#define TW_LEDGER_VERSION 3u

#define TW_SLOTS          256u /* process slots, aggregates included */
#define TW_AGG_SLOTS      32u  /* the last TW_AGG_SLOTS slots: per-command aggregates */
#define TW_DESTS          16u  /* destinations per slot; the last is "all others" */
#define TW_COMM_LEN       16u  /* like the kernel's TASK_COMM_LEN */
#define TW_HIST_BUCKETS   24u
#define TW_COOKIES        1024u /* recently counted shared sockets (SO_COOKIE) */
#define TW_SPREADS        16u   /* port ranges whose spread cursor processes share */

/*
 * The TIME_WAIT estimate of a process is the number of active closes in the
 * last 60 s (TCP_TIMEWAIT_LEN is compiled into the kernel; tcp_fin_timeout
 * does not change it). Closes are counted in a ring of time buckets; each
 * bucket holds (quantum << 32 | count), so a writer resets a stale bucket and
 * counts in one compare-and-swap, with no lock.
 */
#define TW_WIN_QUANTUM_MS 500u
#define TW_WIN_BUCKETS    128u            /* 64 s of history >= 60 s */
#define TW_TIME_WAIT_MS   60000u
#define TW_WIN_SPAN       (TW_TIME_WAIT_MS / TW_WIN_QUANTUM_MS) /* 120 quanta */

/* connect() failures kept apart, by errno; the rest go to TW_ERR_OTHER. */
enum tw_err {
	TW_ERR_EADDRNOTAVAIL = 0, /* no free local port for this destination */
	TW_ERR_EADDRINUSE,        /* explicit bind() collided */
	TW_ERR_ECONNREFUSED,
	TW_ERR_ETIMEDOUT,
	TW_ERR_ENETUNREACH,
	TW_ERR_EHOSTUNREACH,
	TW_ERR_ECONNRESET,
	TW_ERR_OTHER,
	TW_ERR_COUNT
};

/*
 * What the policies did instead of what the program asked
 * (docs/policies.md). Every intervention is counted here, per process and per
 * destination; tw_act_name() gives their names in `twshim stat`.
 */
enum tw_act {
	TW_ACT_REUSEADDR = 0,  /* SO_REUSEADDR set before bind() */
	TW_ACT_REUSEPORT,      /* SO_REUSEPORT set before bind() */
	TW_ACT_RESET,          /* closed with RST: no TIME_WAIT here nor there */
	TW_ACT_RESET_DRAINED,  /* ... after unacknowledged data drained first */
	TW_ACT_RESET_FIN,      /* data did not drain in time: closed with FIN */
	TW_ACT_PEER_FIRST,     /* held until the peer closed first: TIME_WAIT there */
	TW_ACT_PEER_TIMEOUT,   /* the peer did not close in time: fell back */
	TW_ACT_HOLD_FULL,      /* too many connections held: fell back at once */
	TW_ACT_SOURCE_ADDR,    /* bound to a chosen source address (TWSHIM_SOURCE_ADDRS) */
	TW_ACT_SOURCE_PORTS,   /* confined to TWSHIM_SOURCE_PORTS (IP_LOCAL_PORT_RANGE) */
	TW_ACT_RETRY,          /* connect() tried again after EADDRNOTAVAIL/EADDRINUSE */
	TW_ACT_RETRY_OK,       /* ... and then succeeded */
	TW_ACT_SPREAD,         /* bound to a port chosen in TWSHIM_SOURCE_PORTS (TWSHIM_SPREAD) */
	TW_ACT_FIN_RESET,      /* closed with FIN, then RST once the peer acknowledged all (TCP_LINGER2 -1) */
	TW_ACT_LATE,           /* a close policy came too late: the program's shutdown() had
	                        * finished the close already, its TIME_WAIT made before close() */
	TW_ACT_COUNT = 16      /* room for the policies to come, same layout */
};

static inline const char *tw_act_name(unsigned i)
{
	static const char *const names[TW_ACT_COUNT] = {
		"reuseaddr", "reuseport", "reset", "reset_drained", "reset_fin",
		"peer_first", "peer_timeout", "hold_full", "source_addr", "source_ports",
		"retry", "retry_ok", "spread", "fin_reset", "late",
	};
	return i < TW_ACT_COUNT && names[i] ? names[i] : NULL;
}

struct tw_counters {
	_Atomic uint64_t connects;           /* connect() that succeeded */
	_Atomic uint64_t connect_errors[TW_ERR_COUNT];
	_Atomic uint64_t accepts;
	_Atomic uint64_t binds;
	_Atomic uint64_t active_closes;      /* we sent the first FIN: TIME_WAIT is here */
	_Atomic uint64_t passive_closes;     /* the peer closed first: TIME_WAIT is there */
	_Atomic uint64_t reset_closes;       /* closed with RST: no TIME_WAIT anywhere */
	_Atomic uint64_t other_closes;       /* never established, or closed unobserved */
	_Atomic int64_t  open_now;           /* tracked connections open now */
	_Atomic uint64_t connect_us_sum;     /* sum of connect() call durations, us */
	/* bucket 0: < 1 unit; bucket i: [2^(i-1), 2^i) units; the last: the rest */
	_Atomic uint64_t lifetime_ms_hist[TW_HIST_BUCKETS];
	_Atomic uint64_t connect_us_hist[TW_HIST_BUCKETS];
	_Atomic uint64_t tw_window[TW_WIN_BUCKETS];
	_Atomic uint64_t actions[TW_ACT_COUNT];  /* enum tw_act */
};

/*
 * A pooling hint (policies/hints.c): written at most once a minute per
 * destination when it churns (many short connections that this side
 * closes first). The CLI words it; the figures are those of that moment.
 */
enum tw_advice {
	TW_ADVICE_NONE = 0,
	TW_ADVICE_POOL = 1,      /* churning, ports to spare: pool, or a policy */
	TW_ADVICE_URGENT = 2,    /* at this rate the ports run out: pool now, or a policy now */
};
/* Bits above the advice in tw_hint.advice (readers mask TW_ADVICE_MASK):
 * what was so in the process when the hint was written, so that its words
 * never advise what is on already, and say when the ports are out now. */
#define TW_ADVICE_MASK      0xffu
#define TW_HINT_OUT_NOW     (1u << 8)  /* EADDRNOTAVAIL counted since the look before */
#define TW_HINT_CLOSE_ON    (1u << 9)  /* a close policy (TWSHIM_CLOSE) was on */
#define TW_HINT_SOURCES_ON  (1u << 10) /* TWSHIM_SOURCE_ADDRS was on */

struct tw_hint {
	_Atomic int64_t at_ms;          /* CLOCK_REALTIME of the hint; 0: none yet */
	_Atomic uint32_t advice;        /* enum tw_advice, and TW_HINT_* bits */
	_Atomic uint32_t per_min;       /* active closes in the last 60 s */
	_Atomic uint32_t time_wait;     /* TIME_WAIT held then */
	_Atomic uint32_t ports;         /* ephemeral ports for this destination */
	_Atomic uint32_t eta_s;         /* seconds to exhaustion at this rate; 0: none */
	_Atomic uint32_t lifetime_p50_ms;
	_Atomic uint32_t connect_p50_us;
	_Atomic uint32_t connect_p50_us_before; /* at the previous hint: the trend */
};

enum tw_dest_state { TW_DEST_FREE = 0, TW_DEST_CLAIMING = 1, TW_DEST_READY = 2 };
enum tw_dest_kind {
	TW_DEST_OUT = 0,   /* connections we opened: key is the remote ip:port */
	TW_DEST_IN = 1,    /* connections we accepted: key is our listening ip:port */
	TW_DEST_REST = 2,  /* the last entry: every destination that did not fit */
};

struct tw_dest {
	_Atomic uint32_t state;              /* enum tw_dest_state */
	uint8_t family;                      /* 4 or 6 (not AF_*: stable across libcs) */
	uint8_t kind;                        /* enum tw_dest_kind */
	uint16_t port;                       /* host byte order */
	uint8_t addr[16];                    /* IPv4 in the first 4 bytes */
	uint64_t reserved;
	struct tw_counters c;
	struct tw_hint hint;
};

enum tw_slot_state {
	TW_SLOT_FREE = 0,
	TW_SLOT_CLAIMING = 1,  /* being initialised or merged: readers skip it */
	TW_SLOT_LIVE = 2,      /* owned by a process that had not exited when last seen */
	TW_SLOT_EXITED = 3,    /* its process exited normally (or exec'd) */
	TW_SLOT_AGGREGATE = 4, /* several processes of one command, folded together */
};

struct tw_slot {
	_Atomic uint32_t state;              /* enum tw_slot_state */
	_Atomic uint32_t generation;         /* bumped at each claim */
	int32_t pid;                         /* 0 for aggregates */
	int32_t ppid;
	uint64_t start_ticks;                /* /proc/PID/stat starttime: tells a reused pid apart */
	int64_t start_realtime_ms;
	_Atomic int64_t exit_realtime_ms;    /* 0 while running */
	_Atomic uint64_t merged_procs;       /* aggregates: processes folded in */
	_Atomic uint64_t dest_overflow;      /* connections counted under TW_DEST_REST */
	char comm[TW_COMM_LEN];              /* NUL-terminated unless corrupt */
	struct tw_counters total;
	struct tw_dest dests[TW_DESTS];
};

struct tw_ledger_header {
	uint64_t magic;                      /* written last, with release order */
	uint32_t version;
	uint32_t header_size;
	uint32_t slot_size;
	uint32_t slots;
	uint32_t agg_slots;
	uint32_t dests;
	uint32_t win_buckets;
	uint32_t win_quantum_ms;
	uint32_t hist_buckets;
	uint32_t err_count;
	uint64_t total_size;
	int64_t created_realtime_ms;
	_Atomic uint64_t slot_claims;        /* processes that took a slot */
	_Atomic uint64_t slots_folded;       /* exited slots folded into aggregates */
	_Atomic uint64_t attach_overflow;    /* processes that joined an aggregate at once */
	uint8_t reserved[40];
};

struct tw_ledger {
	struct tw_ledger_header h;
	struct tw_slot slots[TW_SLOTS];
	/* A socket held by several fds or processes (dup, fork) is counted by
	 * whichever close the kernel says ended it; when the kernel cannot say
	 * (it was over before: reset, or FIN both ways), its SO_COOKIE here
	 * makes sure only one close counts it. A small hash, overwritten. */
	_Atomic uint64_t counted_cookies[TW_COOKIES];
	/* TWSHIM_SPREAD=reuse: the next port of each range, shared by every
	 * process that spreads over it, so that processes started together
	 * (a shell loop, parallel workers) do not all begin at the same port
	 * and collide. range is hi << 16 | lo, 0 while the entry is free;
	 * next only ever grows (taken modulo the range's size). */
	struct tw_spread_cursor {
		_Atomic uint32_t range;
		_Atomic uint32_t next;
	} spread[TW_SPREADS];
};

/* Monotonic milliseconds to a window quantum. */
static inline uint32_t tw_quantum(uint64_t mono_ms)
{
	return (uint32_t)(mono_ms / TW_WIN_QUANTUM_MS);
}

/* Count n closes at quantum q. A bucket holding a later quantum means q is
 * older than the window: that close has already left TIME_WAIT, drop it. */
static inline void tw_window_add(_Atomic uint64_t *win, uint32_t q, uint32_t n)
{
	_Atomic uint64_t *b = &win[q % TW_WIN_BUCKETS];
	uint64_t old = atomic_load_explicit(b, memory_order_relaxed);
	uint64_t new;

	do {
		uint32_t bq = (uint32_t)(old >> 32);
		if (bq == q)
			new = old + n;
		else if (bq > q)
			return;
		else
			new = ((uint64_t)q << 32) | n;
	} while (!atomic_compare_exchange_weak_explicit(b, &old, new,
	                                               memory_order_relaxed,
	                                               memory_order_relaxed));
}

/* Active closes in the last span quanta (span <= TW_WIN_SPAN). */
static inline uint64_t tw_window_sum_last(const _Atomic uint64_t *win, uint32_t now, uint32_t span)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < TW_WIN_BUCKETS; i++) {
		uint64_t v = atomic_load_explicit(&win[i], memory_order_relaxed);
		uint32_t bq = (uint32_t)(v >> 32);
		if (bq <= now && now - bq < span)
			sum += (uint32_t)v;
	}
	return sum;
}

/* Upper bound of the histogram bucket holding the q-quantile (0 < q <= 1);
 * 0 when the histogram is empty. */
static inline uint64_t tw_hist_quantile(const uint64_t *hist, double q)
{
	uint64_t total = 0, seen = 0;

	for (unsigned i = 0; i < TW_HIST_BUCKETS; i++)
		total += hist[i];
	if (total == 0)
		return 0;
	for (unsigned i = 0; i < TW_HIST_BUCKETS; i++) {
		seen += hist[i];
		if ((double)seen >= q * (double)total)
			return i == 0 ? 1 : UINT64_C(1) << i;
	}
	return UINT64_C(1) << (TW_HIST_BUCKETS - 1);
}

/* Active closes in the last TW_TIME_WAIT_MS as of quantum now: the number of
 * TIME_WAIT entries this counter set holds in the kernel right now. */
static inline uint64_t tw_window_sum(const _Atomic uint64_t *win, uint32_t now)
{
	return tw_window_sum_last(win, now, TW_WIN_SPAN);
}

/* Histogram bucket of a value: 0 for v < 1, else 1 + floor(log2 v), capped. */
static inline unsigned tw_hist_bucket(uint64_t v)
{
	unsigned b = v ? 64u - (unsigned)__builtin_clzll(v) : 0u;
	return b < TW_HIST_BUCKETS ? b : TW_HIST_BUCKETS - 1;
}

#endif /* TWSHIM_LEDGER_H */
