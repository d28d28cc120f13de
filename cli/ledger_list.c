// SPDX-License-Identifier: MIT
/* The ledgers in /dev/shm (ledger_list.h). */
#include "ledger_list.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t tw_ledger_list(char ***out)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *dir = opendir("/dev/shm");
	struct dirent *e;

	while (dir && (e = readdir(dir))) {
		if (strncmp(e->d_name, "twshim", 6) != 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			char **more = realloc(names, ncap * sizeof(*names));
			if (!more)
				break;
			names = more;
			cap = ncap;
		}
		if (asprintf(&names[n], "/%s", e->d_name) < 0)
			break;
		n++;
	}
	if (dir)
		closedir(dir);
	if (n)
		qsort(names, n, sizeof(names[0]), by_name);
	*out = names;
	return n;
}

void tw_ledger_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
