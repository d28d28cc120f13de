// SPDX-License-Identifier: MIT
/*
 * The table of policies and the hooks that walk it (registry.h). Adding a
 * policy: one file defining a struct tw_policy, one line in `all` below
 * (HACKING.md has the whole checklist).
 */
#include "registry.h"

#include <stdio.h>

#include "scope.h"

static const struct tw_policy *const all[] = {
	&tw_policy_reuseaddr,
	&tw_policy_close,
	&tw_policy_sources,
	&tw_policy_retry,
	&tw_policy_hints,
};
#define NPOLICIES (sizeof(all) / sizeof(all[0]))

/* The policies that are on, in all[]'s order: the hooks walk these alone
 * (most programs run one, the hints, or none). */
static const struct tw_policy *on[NPOLICIES];
static size_t non;
/* Whether a hook has anyone to call: connect()'s scope check costs a
 * lookup, and close() runs both of its hooks on every connection. */
static int any_before_connect, any_at_close, any_closed, any_after_connect, any_opened;
/* The hints' advice that the policies on have taken (their covers()). */
static unsigned covered;

/* TWSHIM_STRICT=1: a bad policy value stops the program at start, for those
 * who would rather not run at all than run without the fix they asked for.
 * Then the first bad value is handed back in err, for the one line that
 * says so (activate.c), and nothing is logged here. */
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
	any_before_connect = any_at_close = any_closed = any_after_connect = any_opened = 0;
	covered = 0;
	non = 0;
	for (size_t i = 0; i < NPOLICIES; i++) {
		const struct tw_policy *p = all[i];
		int rc = p->configure(get, why, sizeof(why));

		if (rc < 0 && strict) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
		if (rc < 0)
			tw_err("%s; the %s policy stays off", why, p->name);
		if (rc <= 0)
			continue;
		on[non++] = p;
		any_before_connect |= p->before_connect != NULL;
		any_at_close |= p->at_close != NULL;
		any_closed |= p->closed != NULL;
		any_after_connect |= p->after_connect != NULL;
		any_opened |= p->opened != NULL;
		if (p->covers)
			covered |= p->covers();
	}
	return 0;
}

void tw_policies_before_bind(int fd, struct tw_fd *e)
{
	struct tw_slot *s = NULL;
	int looked = 0;

	for (size_t i = 0; i < non; i++) {
		if (!on[i]->before_bind)
			continue;
		if (!looked++)
			s = tw_slot_acquire(TW_SLOT_WAIT);
		on[i]->before_bind(fd, e, s);
	}
}

void tw_policies_before_connect(struct tw_connect_ctx *c)
{
	if (!any_before_connect || !tw_scope_applies(&c->key))
		return;
	for (size_t i = 0; i < non; i++)
		if (on[i]->before_connect)
			on[i]->before_connect(c);
}

int tw_policies_retry_connect(struct tw_connect_ctx *c)
{
	if (!tw_scope_applies(&c->key))
		return 0;
	for (size_t i = 0; i < non; i++)
		if (on[i]->retry_connect && on[i]->retry_connect(c))
			return 1;
	return 0;
}

void tw_policies_after_connect(struct tw_connect_ctx *c)
{
	if (!any_after_connect)
		return;
	c->covered = covered;
	for (size_t i = 0; i < non; i++)
		if (on[i]->after_connect)
			on[i]->after_connect(c);
}

void tw_policies_opened(int fd)
{
	if (!any_opened)
		return;
	for (size_t i = 0; i < non; i++)
		if (on[i]->opened)
			on[i]->opened(fd);
}

void tw_policies_closed(const struct tw_fd *v, enum tw_close_class cls)
{
	if (!any_closed)
		return;
	for (size_t i = 0; i < non; i++)
		if (on[i]->closed)
			on[i]->closed(v, cls);
}

int tw_policies_at_close_wanted(void)
{
	return any_at_close;
}

int tw_policies_before_connect_wanted(void)
{
	return any_before_connect;
}

enum tw_close_verdict tw_policies_at_close(struct tw_close_ctx *c)
{
	for (size_t i = 0; i < non; i++) {
		enum tw_close_verdict v;
		if (!on[i]->at_close)
			continue;
		v = on[i]->at_close(c);
		if (v != TW_CLOSE_AS_IS)
			return v;
	}
	return TW_CLOSE_AS_IS;
}

void tw_policies_after_fork_child(void)
{
	for (size_t i = 0; i < non; i++)
		if (on[i]->after_fork_child)
			on[i]->after_fork_child();
}

void tw_policies_at_exit(void)
{
	for (size_t i = 0; i < non; i++)
		if (on[i]->at_exit)
			on[i]->at_exit();
}
