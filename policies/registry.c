// SPDX-License-Identifier: MIT
/*
 * The table of policies and the hooks that walk it. Adding a policy: one
 * file defining a struct tw_policy, one line in `all` below.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"
#include "real.h"
#include "sys.h"

static const struct tw_policy *const all[] = {
	&tw_policy_reuseaddr,
	&tw_policy_close,
	&tw_policy_sources,
	&tw_policy_retry,
	&tw_policy_hints,
};
#define NPOLICIES (sizeof(all) / sizeof(all[0]))

static int on[NPOLICIES];
/* Whether a hook has anyone to call: connect()'s scope check costs a
 * lookup, and close() runs both of its hooks on every connection. */
static int any_before_connect, any_at_close, any_closed;

int tw_parse_switch(const char *name, const char *v, int dflt, int *out, char *err,
                    size_t errlen)
{
	if (v == NULL || *v == '\0') {
		*out = dflt;
		return 0;
	}
	if (strcmp(v, "0") == 0 || strcmp(v, "1") == 0) {
		*out = v[0] == '1';
		return 0;
	}
	snprintf(err, errlen, "%s='%s' is not a switch: expected '1' (on) or '0' (off; "
	         "unset, it is %s)", name, v, dflt ? "on" : "off");
	return -1;
}

/* HAZARD: this runs as the shim starts, on the process's first TCP socket,
 * which may be made in a signal handler that interrupted malloc: raw
 * system calls into the caller's buffer, no stdio (fopen allocates). */
void tw_read_sysctl(const char *path, char *buf, size_t len)
{
	int saved = errno;
	long fd, n = 0, got = 0;
	char *nl;

	buf[0] = '\0';
	if (len < 2)
		return;
	fd = tw_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		do {
			n = tw_syscall(SYS_read, fd, buf + got, len - 1 - (size_t)got);
			got += n > 0 ? n : 0;
		} while ((n > 0 || (n < 0 && errno == EINTR)) && (size_t)got < len - 1);
		tw_syscall(SYS_close, fd);
	}
	buf[got] = '\0';
	if ((nl = strchr(buf, '\n')))
		nl[1] = '\0'; /* the first line, as it was */
	errno = saved;
}

/* TWSHIM_STRICT=1: a bad policy value stops the program at start, for those
 * who would rather not run at all than run without the fix they asked for.
 * Then the first bad value is handed back in err, for the one line that
 * says so (init.c), and nothing is logged here. */
int tw_policies_configure(tw_getenv_fn get, char *err, size_t errlen)
{
	int strict;
	char why[512];

	if (tw_parse_switch("TWSHIM_STRICT", get("TWSHIM_STRICT"), 0, &strict, why,
	                    sizeof(why)) < 0) {
		tw_err("%s", why);
		strict = 0;
	}
	if (tw_scope_configure(get, why, sizeof(why)) < 0) {
		if (strict) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
		tw_err("%s; every policy stays off", why);
		return 0;
	}
	any_before_connect = any_at_close = any_closed = 0;
	for (size_t i = 0; i < NPOLICIES; i++) {
		int rc = all[i]->configure(get, why, sizeof(why));
		on[i] = rc > 0;
		if (rc < 0 && strict) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
		if (rc < 0) {
			tw_err("%s; the %s policy stays off", why, all[i]->name);
		}
		if (on[i] && all[i]->before_connect)
			any_before_connect = 1;
		if (on[i] && all[i]->at_close)
			any_at_close = 1;
		if (on[i] && all[i]->closed)
			any_closed = 1;
	}
	return 0;
}

void tw_policies_before_bind(int fd, struct tw_fd *e)
{
	struct tw_slot *s = NULL;
	int looked = 0;

	for (size_t i = 0; i < NPOLICIES; i++) {
		if (!on[i] || !all[i]->before_bind)
			continue;
		if (!looked++)
			s = tw_slot_acquire(TW_SLOT_WAIT);
		all[i]->before_bind(fd, e, s);
	}
}

void tw_policies_before_connect(struct tw_connect_ctx *c)
{
	if (!any_before_connect || !tw_scope_applies(&c->key))
		return;
	for (size_t i = 0; i < NPOLICIES; i++)
		if (on[i] && all[i]->before_connect)
			all[i]->before_connect(c);
}

int tw_connect_blocking(struct tw_connect_ctx *c)
{
	if (c->blocking < 0) {
		int fl = tw_real.fcntl(c->fd, F_GETFL, NULL);

		c->blocking = fl >= 0 && !(fl & O_NONBLOCK);
	}
	return c->blocking;
}

int tw_policies_retry_connect(struct tw_connect_ctx *c)
{
	if (!tw_scope_applies(&c->key))
		return 0;
	for (size_t i = 0; i < NPOLICIES; i++)
		if (on[i] && all[i]->retry_connect && all[i]->retry_connect(c))
			return 1;
	return 0;
}

void tw_policies_closed(const struct tw_fd *v, enum tw_close_class cls)
{
	if (!any_closed)
		return;
	for (size_t i = 0; i < NPOLICIES; i++)
		if (on[i] && all[i]->closed)
			all[i]->closed(v, cls);
}

int tw_policies_at_close_wanted(void)
{
	return any_at_close;
}

int tw_policy_on(const struct tw_policy *p)
{
	for (size_t i = 0; i < NPOLICIES; i++)
		if (all[i] == p)
			return on[i];
	return 0;
}

int tw_policies_before_connect_wanted(void)
{
	return any_before_connect;
}

enum tw_close_verdict tw_policies_at_close(struct tw_close_ctx *c)
{
	for (size_t i = 0; i < NPOLICIES; i++) {
		enum tw_close_verdict v;
		if (!on[i] || !all[i]->at_close)
			continue;
		v = all[i]->at_close(c);
		if (v != TW_CLOSE_AS_IS)
			return v;
	}
	return TW_CLOSE_AS_IS;
}

void tw_policies_after_fork_child(void)
{
	for (size_t i = 0; i < NPOLICIES; i++)
		if (on[i] && all[i]->after_fork_child)
			all[i]->after_fork_child();
}

void tw_policies_at_exit(void)
{
	for (size_t i = 0; i < NPOLICIES; i++)
		if (on[i] && all[i]->at_exit)
			all[i]->at_exit();
}
