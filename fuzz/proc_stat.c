// SPDX-License-Identifier: MIT
/* The text of /proc/PID/stat (tw_parse_stat, include/twshim/proc.h), which
 * the shim reads for its own slot and the CLI for every slot's process: the
 * command name in it is the program's to choose, parentheses and spaces
 * included. */
#include "fuzz.h"
#include "twshim/ledger.h"
#include "twshim/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char comm[TW_COMM_LEN], *buf = malloc(size ? size : 1);
	uint64_t start = 0;
	int ppid = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size); /* not NUL-terminated: the parser takes a length */
	memset(comm, 'x', sizeof(comm));
	if (tw_parse_stat(buf, size, comm, sizeof(comm), &ppid, &start) == 0)
		FZ_CHECK(memchr(comm, '\0', sizeof(comm)) != NULL);
	free(buf);
	return 0;
}
