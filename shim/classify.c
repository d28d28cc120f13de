// SPDX-License-Identifier: MIT
/*
 * What close() will do, from the kernel's state just before it: who sends
 * the first FIN, and so where the TIME_WAIT lands (DOMAIN facts 2, 8, 16).
 */
#include "classify.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

enum tw_close_class tw_classify(int st, unsigned flags, int unread)
{
	int live = st == TCP_ESTABLISHED || st == TCP_FIN_WAIT1 || st == TCP_FIN_WAIT2 ||
	           st == TCP_CLOSING || st == TCP_CLOSE_WAIT || st == TCP_LAST_ACK;

	/* SO_LINGER {1,0}, or data the application never read: the kernel
	 * answers close() with RST, and no one keeps TIME_WAIT. */
	if (live && ((flags & TW_F_LINGER0) || unread > 0))
		return TW_CLOSE_RESET;
	/* After shutdown(SHUT_WR) who sent the first FIN is known already.
	 * Not once the socket reads CLOSE: the exchange finished (its
	 * TIME_WAIT living on apart) or a reset ended it, which only the
	 * kernel's table tells (closing.c asks it); here CLOSE is a reset. */
	if (live) {
		if (flags & TW_F_SHUT_ACTIVE)
			return TW_CLOSE_ACTIVE;
		if (flags & TW_F_SHUT_PASSIVE)
			return TW_CLOSE_PASSIVE;
	}
	switch (st) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSING:
		return TW_CLOSE_ACTIVE;
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
		return TW_CLOSE_PASSIVE;
	default: /* SYN_SENT, LISTEN, CLOSE after a reset, not a socket any more */
		return TW_CLOSE_OTHER;
	}
}
