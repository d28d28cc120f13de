// SPDX-License-Identifier: MIT
/*
 * The registry (registry.c): the one door through which the shim reaches
 * the policies. Each call walks the policies that are on and calls their
 * hook of the same name (policy.h says when each is called).
 */
#ifndef TW_REGISTRY_H
#define TW_REGISTRY_H

#include "policy.h"

/* Configures the scope and every policy. -1: TWSHIM_STRICT=1 and a bad
 * value, which err names (nothing logged). */
int tw_policies_configure(tw_getenv_fn get, char *err, size_t errlen);
void tw_policies_before_bind(int fd, struct tw_fd *e);
void tw_policies_before_connect(struct tw_connect_ctx *c);
int tw_policies_retry_connect(struct tw_connect_ctx *c);
void tw_policies_after_connect(struct tw_connect_ctx *c);
void tw_policies_opened(int fd);
void tw_policies_closed(const struct tw_fd *v, enum tw_close_class cls);
enum tw_close_verdict tw_policies_at_close(struct tw_close_ctx *c);
void tw_policies_after_fork_child(void);
void tw_policies_at_exit(void);

/* Whether a policy that is on has an at_close hook: when none has, close()
 * skips preparing its context. */
int tw_policies_at_close_wanted(void);
/* Whether a policy that is on has a before_connect hook: only then does
 * connect() read the destination before the call. */
int tw_policies_before_connect_wanted(void);

#endif
