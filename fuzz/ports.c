// SPDX-License-Identifier: MIT
/* ip_local_port_range and ip_local_reserved_ports as `twshim doctor` reads
 * them (tw_ports_parse, cli/hostcfg.c): the range, a NUL, the list. */
#include "fuzz.h"
#include "hostcfg.h"

static const char *const names[] = { "range", "reserved" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tw_ports p;
	const char *range, *reserved;
	char err[160] = "";

	fz_env_set(names, 2, data, size);
	range = fz_getenv("range");
	reserved = fz_getenv("reserved");
	if (tw_ports_parse(&p, range ? range : "", reserved, err, sizeof(err)) == 0) {
		FZ_CHECK(p.lo >= 1 && p.lo <= p.hi && p.hi <= 65535);
		FZ_CHECK(p.nreserved >= 0 && p.usable >= 0 &&
		         p.usable == p.hi - p.lo + 1 - p.nreserved);
	} else {
		fz_check_err(err, sizeof(err));
	}
	fz_env_free();
	return 0;
}
