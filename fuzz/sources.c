// SPDX-License-Identifier: MIT
/* TWSHIM_SOURCE_ADDRS (addresses and a-b ranges), TWSHIM_SOURCE_PORTS (LO-HI)
 * and TWSHIM_SPREAD (policies/sources.c). */
#include "fuzz.h"
#include "policy.h"

static const char *const names[] = { "TWSHIM_SOURCE_ADDRS", "TWSHIM_SOURCE_PORTS",
	                             "TWSHIM_SPREAD" };

FZ_INITIALIZE_QUIET

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "";
	int rc;

	fz_env_set(names, sizeof(names) / sizeof(names[0]), data, size);
	rc = tw_policy_sources.configure(fz_getenv, err, sizeof(err));
	FZ_CHECK(rc >= -1 && rc <= 1);
	if (rc < 0)
		fz_check_err(err, sizeof(err));
	fz_env_free();
	return 0;
}
