// SPDX-License-Identifier: MIT
/*
 * TWSHIM_REUSEADDR=1: SO_REUSEADDR on every TCP socket before bind(), so a
 * server restarting while its port still has TIME_WAIT entries binds
 * instead of failing with EADDRINUSE. (It only helps if the sockets that
 * hold the port had it too: DOMAIN fact 12; a restart of the same program
 * under the same setting is that case.)
 *
 * TWSHIM_REUSEPORT=1: SO_REUSEPORT likewise. Off by default, and worth the
 * caution: with it, a second process of the same user can bind the very
 * same port and take half of the connections (docs/policies.md).
 */
#include <stdio.h>
#include <string.h>

#include "policy.h"

static int reuseaddr, reuseport;

static int configure(tw_getenv_fn get, char *err, size_t errlen)
{
	if (tw_parse_switch("TWSHIM_REUSEADDR", get("TWSHIM_REUSEADDR"), 0, &reuseaddr, err,
	                    errlen) < 0 ||
	    tw_parse_switch("TWSHIM_REUSEPORT", get("TWSHIM_REUSEPORT"), 0, &reuseport, err,
	                    errlen) < 0) {
		reuseaddr = reuseport = 0;
		return -1;
	}
	return reuseaddr || reuseport;
}

/* Set the option unless the program did already; count only what we set. */
static void ensure(int fd, int opt, struct tw_slot *s, enum tw_act act)
{
	int on = 0;
	socklen_t len = sizeof(on);

	if (tw_real.getsockopt(fd, SOL_SOCKET, opt, &on, &len) == 0 && on)
		return;
	on = 1;
	if (tw_real.setsockopt(fd, SOL_SOCKET, opt, &on, sizeof(on)) == 0 && s)
		tw_count_action(s, -1, act);
}

static void before_bind(int fd, struct tw_fd *e, struct tw_slot *s)
{
	(void)e;
	if (reuseaddr)
		ensure(fd, SO_REUSEADDR, s, TW_ACT_REUSEADDR);
	if (reuseport)
		ensure(fd, SO_REUSEPORT, s, TW_ACT_REUSEPORT);
}

const struct tw_policy tw_policy_reuseaddr = {
	.name = "reuseaddr",
	.configure = configure,
	.before_bind = before_bind,
};
