// SPDX-License-Identifier: MIT
/* TWSHIM_ONLY and TWSHIM_EXCEPT (policies/scope.c): lists of CIDR[:PORT],
 * then each list matched against destinations of both families. */
#include "fuzz.h"
#include "policy.h"
#include "scope.h"

static const char *const names[] = { "TWSHIM_ONLY", "TWSHIM_EXCEPT" };

FZ_INITIALIZE_QUIET

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tw_addr dests[] = {
		{ .family = 4, .port = 80, .addr = { 10, 1, 2, 3 } },
		{ .family = 4, .port = 65535, .addr = { 255, 255, 255, 255 } },
		{ .family = 6, .port = 443, .addr = { [15] = 1 } },
		{ .family = 6, .port = 1, .addr = { 0xfd, 0, [15] = 0xff } },
		{ .family = 6, .port = 8080, .addr = { [0 ... 15] = 0xff } },
	};
	char err[512] = "";

	fz_env_set(names, sizeof(names) / sizeof(names[0]), data, size);
	if (tw_scope_configure(fz_getenv, err, sizeof(err)) < 0) {
		fz_check_err(err, sizeof(err));
		/* A bad list leaves no scope: every destination applies. */
		for (size_t i = 0; i < sizeof(dests) / sizeof(dests[0]); i++)
			FZ_CHECK(tw_scope_applies(&dests[i]) == 1);
	} else {
		for (size_t i = 0; i < sizeof(dests) / sizeof(dests[0]); i++)
			FZ_CHECK(tw_scope_applies(&dests[i]) <= 1);
	}
	fz_env_free();
	return 0;
}
