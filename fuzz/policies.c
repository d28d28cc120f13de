// SPDX-License-Identifier: MIT
/* Every policy variable at once, through tw_policies_configure() as the
 * shim's activation calls it: TWSHIM_STRICT, the scope, and each policy's
 * configure() (the switches, TWSHIM_RETRY_MS and the rest), one after the
 * other over the same environment, as a program's would be. */
#include <string.h>

#include "closer.h"
#include "fuzz.h"
#include "registry.h"

static const char *const names[] = {
	"TWSHIM_STRICT",         "TWSHIM_ONLY",          "TWSHIM_EXCEPT",
	"TWSHIM_REUSEADDR",      "TWSHIM_REUSEPORT",     "TWSHIM_CLOSE",
	"TWSHIM_CLOSE_ACCEPTED", "TWSHIM_CLOSE_WAIT_MS", "TWSHIM_CLOSE_FALLBACK",
	"TWSHIM_CLOSE_HOLD_MAX", "TWSHIM_SOURCE_ADDRS",  "TWSHIM_SOURCE_PORTS",
	"TWSHIM_SPREAD",         "TWSHIM_RETRY_MS",      "TWSHIM_HINTS",
};

FZ_INITIALIZE_QUIET

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct tw_closer_config was = tw_closer_cfg;
	char err[512] = "";
	int rc;

	_Static_assert(sizeof(names) / sizeof(names[0]) <= FZ_MAX_VARS, "FZ_MAX_VARS");
	fz_env_set(names, sizeof(names) / sizeof(names[0]), data, size);
	rc = tw_policies_configure(fz_getenv, err, sizeof(err));
	FZ_CHECK(rc == 0 || rc == -1);
	/* Under TWSHIM_STRICT=1 a bad value comes back, named (the log
	 * escapes it into one line when it is said). */
	FZ_CHECK(rc == 0 || strncmp(err, "TWSHIM_", 7) == 0);
	tw_closer_cfg = was;
	fz_env_free();
	return 0;
}
