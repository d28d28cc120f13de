// SPDX-License-Identifier: MIT
/*
 * Who closes first (DOMAIN facts 2, 8, 9, 15): the side that sends the first
 * FIN keeps the TIME_WAIT. For connections this process opened
 * (TWSHIM_CLOSE) and for ones it accepted (TWSHIM_CLOSE_ACCEPTED):
 *
 *   kernel      leave close() alone (the default)
 *   fin-reset   close normally with TCP_LINGER2 -1: the FIN goes after all
 *               data, and when the peer acknowledges it (every byte
 *               arrived) the orphaned socket answers with RST and is
 *               freed. No TIME_WAIT on either side, nothing lost, the
 *               peer reads its data then end of file; no thread, no wait.
 *   reset       close with RST (SO_LINGER {1,0}): no TIME_WAIT on either
 *               side. Never loses data: with bytes still unacknowledged
 *               (SIOCOUTQ) the closer waits for them to drain, and past
 *               TWSHIM_CLOSE_WAIT_MS closes with FIN instead. The peer
 *               reads ECONNRESET if it reads after the reset.
 *   peer-first  hold the connection until the peer's FIN, then close: the
 *               TIME_WAIT lands on the peer. Past TWSHIM_CLOSE_WAIT_MS, the
 *               TWSHIM_CLOSE_FALLBACK (reset, with the same no-loss rule,
 *               or kernel).
 *
 * Only closes that would be active (this side first) are changed: when the
 * peer has closed already, or the kernel resets anyway, nothing is to gain.
 * When the program's own shutdown() finished the exchange before close()
 * the TIME_WAIT exists already: counted as `late`, nothing changed. At
 * exit, what is still open closes by the kernel at once: every mode but
 * kernel becomes a reset or fin-reset there, which need no waiting.
 * The program's close() returns at once in every case (the closer waits:
 * closer.c).
 */
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "closer.h"
#include "scope.h"

enum mode { M_KERNEL = 0, M_RESET, M_PEER_FIRST, M_FIN_RESET };

static enum mode mode_out, mode_in;

static int parse_mode(const char *name, const char *v, enum mode *m, char *err, size_t errlen)
{
	if (!v || !*v || strcmp(v, "kernel") == 0)
		*m = M_KERNEL;
	else if (strcmp(v, "reset") == 0)
		*m = M_RESET;
	else if (strcmp(v, "peer-first") == 0)
		*m = M_PEER_FIRST;
	else if (strcmp(v, "fin-reset") == 0)
		*m = M_FIN_RESET;
	else {
		snprintf(err, errlen, "%s='%s' is not a close mode: expected 'kernel', 'fin-reset', "
		         "'reset' or 'peer-first'", name, v);
		return -1;
	}
	return 0;
}

static int parse_ms(const char *name, const char *v, uint64_t *ns, char *err, size_t errlen)
{
	const char *end;
	unsigned long ms;

	if (!v || !*v)
		return 0;
	if (tw_parse_uint(v, &end, 600000, &ms) < 0 || *end != '\0' || ms < 1) {
		snprintf(err, errlen, "%s='%s' is not a wait: expected milliseconds, 1 to 600000",
		         name, v);
		return -1;
	}
	*ns = (uint64_t)ms * 1000000u;
	return 0;
}

static int configure(tw_getenv_fn get, char *err, size_t errlen)
{
	const char *fb = get("TWSHIM_CLOSE_FALLBACK"), *max = get("TWSHIM_CLOSE_HOLD_MAX");
	struct tw_closer_config cfg = tw_closer_cfg;

	mode_out = mode_in = M_KERNEL;
	if (parse_mode("TWSHIM_CLOSE", get("TWSHIM_CLOSE"), &mode_out, err, errlen) < 0 ||
	    parse_mode("TWSHIM_CLOSE_ACCEPTED", get("TWSHIM_CLOSE_ACCEPTED"), &mode_in, err,
	               errlen) < 0 ||
	    parse_ms("TWSHIM_CLOSE_WAIT_MS", get("TWSHIM_CLOSE_WAIT_MS"), &cfg.wait_ns, err,
	             errlen) < 0)
		goto bad;
	if (fb && *fb && strcmp(fb, "reset") != 0 && strcmp(fb, "kernel") != 0) {
		snprintf(err, errlen, "TWSHIM_CLOSE_FALLBACK='%s' is not a fallback: expected "
		         "'reset' or 'kernel'", fb);
		goto bad;
	}
	cfg.fallback_reset = !fb || !*fb || strcmp(fb, "reset") == 0;
	if (max && *max) {
		const char *end;
		unsigned long n;
		if (tw_parse_uint(max, &end, 4096, &n) < 0 || *end != '\0') {
			snprintf(err, errlen, "TWSHIM_CLOSE_HOLD_MAX='%s' is not a count: expected "
			         "0 to 4096 connections held at once", max);
			goto bad;
		}
		cfg.max_held = (int)n;
	}
	tw_closer_cfg = cfg;
	/* fin-reset leaves the waiting to the kernel: no thread for it. */
	tw_closer_wanted = mode_out == M_RESET || mode_out == M_PEER_FIRST ||
	                   mode_in == M_RESET || mode_in == M_PEER_FIRST;
	return mode_out != M_KERNEL || mode_in != M_KERNEL;
bad:
	mode_out = mode_in = M_KERNEL;
	return -1;
}

/* RST now, if nothing is unacknowledged: no data can be lost. */
static int rst_now(struct tw_close_ctx *c)
{
	static const struct linger lg = { 1, 0 };

	if (tw_unacked(c->fd) != 0 ||
	    tw_real.setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) != 0)
		return 0;
	c->cls = TW_CLOSE_RESET;
	c->act = TW_ACT_RESET;
	return 1;
}

/* FIN now, RST once the peer has acknowledged it: TCP_LINGER2 -1 ends the
 * orphaned socket in FIN_WAIT1 at that acknowledgement (or at once in
 * FIN_WAIT2), before it can reach TIME_WAIT. No data can be lost: the
 * acknowledgement covers every byte. */
static int fin_reset(struct tw_close_ctx *c)
{
	static const int never = -1;

	if (tw_real.setsockopt(c->fd, IPPROTO_TCP, TCP_LINGER2, &never, sizeof(never)) != 0)
		return 0;
	c->cls = TW_CLOSE_RESET;
	c->act = TW_ACT_FIN_RESET;
	return 1;
}

/* This side's FIN has gone already (the program's shutdown()): the peer's
 * cannot come first any more. */
static int fin_sent(const struct tw_close_ctx *c)
{
	return (c->v->flags & TW_F_SHUT_ACTIVE) || c->tcp_state == TCP_FIN_WAIT1 ||
	       c->tcp_state == TCP_FIN_WAIT2 || c->tcp_state == TCP_CLOSING;
}

static enum tw_close_verdict at_close(struct tw_close_ctx *c)
{
	enum mode m = c->v->state == TW_CS_ACCEPTED ? mode_in : mode_out;
	struct tw_addr key;

	if (m == M_KERNEL || c->cls != TW_CLOSE_ACTIVE)
		return TW_CLOSE_AS_IS;
	tw_dest_key(&key, c->v->state == TW_CS_ACCEPTED ? &c->v->local : &c->v->remote);
	if (!tw_scope_applies(&key))
		return TW_CLOSE_AS_IS;
	if (c->over) {
		c->act = TW_ACT_LATE; /* counted with the close, by whoever counts it */
		return TW_CLOSE_AS_IS;
	}
	/* Held elsewhere too (a forking server's child): TCP_LINGER2 acts on
	 * the orphan only, once the last holder has let go and all its data is
	 * acknowledged, so it is safe for the others, whoever closes last. */
	if (c->shared)
		return fin_reset(c) ? TW_CLOSE_CHANGED : TW_CLOSE_AS_IS;
	/* At exit nothing can wait: the kernel closes the fd next. */
	if (c->at_exit)
		return (m == M_RESET && rst_now(c)) || fin_reset(c) ? TW_CLOSE_CHANGED
		                                                     : TW_CLOSE_AS_IS;
	/* After the program's shutdown(SHUT_WR) the peer's FIN can no longer
	 * come first, and a reset or the closer's wait would race it: the
	 * kernel ends it with RST the moment our FIN is acknowledged. */
	if (m == M_FIN_RESET || fin_sent(c))
		return fin_reset(c) ? TW_CLOSE_CHANGED : TW_CLOSE_AS_IS;
	if (m == M_RESET) {
		if (rst_now(c))
			return TW_CLOSE_CHANGED;
		/* Data still in flight: the closer resets once it is acknowledged. */
		if (tw_closer_take(c, TW_HOLD_DRAIN_RESET) == 0)
			return TW_CLOSE_TAKEN;
		/* No room, or the closer still starting (the first closes of a
		 * threaded program): the kernel does the waiting instead. */
		tw_count_action(c->slot, c->dest, TW_ACT_HOLD_FULL);
		return fin_reset(c) ? TW_CLOSE_CHANGED : TW_CLOSE_AS_IS;
	}
	if (tw_closer_take(c, TW_HOLD_PEER_FIRST) == 0)
		return TW_CLOSE_TAKEN;
	/* The same, where a reset used to cut off a peer still reading. */
	tw_count_action(c->slot, c->dest, TW_ACT_HOLD_FULL);
	return tw_closer_cfg.fallback_reset && fin_reset(c) ? TW_CLOSE_CHANGED : TW_CLOSE_AS_IS;
}

/* The hints advise a close mode no more: this side's closes get one. */
static unsigned covers(void)
{
	return mode_out != M_KERNEL ? TW_HINT_CLOSE_ON : 0;
}

/* A connection made: the closer starts now, not at the first close that
 * needs it (close() may be in a signal handler, where no thread starts). */
static void opened(int fd)
{
	(void)fd;
	if (tw_closer_wanted)
		tw_closer_start();
}

static void after_fork_child(void)
{
	tw_closer_after_fork_child();
}

static void at_exit(void)
{
	tw_closer_drain_at_exit();
}

const struct tw_policy tw_policy_close = {
	.name = "close",
	.configure = configure,
	.covers = covers,
	.opened = opened,
	.at_close = at_close,
	.after_fork_child = after_fork_child,
	.at_exit = at_exit,
};
