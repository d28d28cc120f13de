// SPDX-License-Identifier: MIT
/* The close policy's variables (policies/close.c): two modes, a wait in
 * milliseconds, a fallback and a count. */
#include "closer.h"
#include "fuzz.h"
#include "policy.h"

static const char *const names[] = { "TWSHIM_CLOSE", "TWSHIM_CLOSE_ACCEPTED",
	                             "TWSHIM_CLOSE_WAIT_MS", "TWSHIM_CLOSE_FALLBACK",
	                             "TWSHIM_CLOSE_HOLD_MAX" };

FZ_INITIALIZE_QUIET

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct tw_closer_config was = tw_closer_cfg;
	char err[512] = "";
	int rc;

	fz_env_set(names, sizeof(names) / sizeof(names[0]), data, size);
	rc = tw_policy_close.configure(fz_getenv, err, sizeof(err));
	FZ_CHECK(rc >= -1 && rc <= 1);
	if (rc < 0)
		fz_check_err(err, sizeof(err));
	/* What the closer is told stays inside the documented bounds. */
	FZ_CHECK(tw_closer_cfg.wait_ns >= 1000000u && tw_closer_cfg.wait_ns <= 600000000000u);
	FZ_CHECK(tw_closer_cfg.max_held >= 0 && tw_closer_cfg.max_held <= 4096);
	tw_closer_cfg = was;
	fz_env_free();
	return 0;
}
