// SPDX-License-Identifier: MIT
/* twshim stat --prometheus over every ledger of the host (twshim export's
 * too): the ledgers read, narrowed, and written as one file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "escape.h"
#include "filter.h"
#include "ledger_list.h"
#include "stat.h"
#include "stat_prom.h"

/*
 * --prometheus: every ledger of the host in one file, for one collector per
 * host: the ones --shm names, else $TWSHIM_SHM's, else every twshim* ledger
 * in /dev/shm. One that is missing or cannot be read is said on stderr and
 * exported as twshim_ledger_up 0: the file is whole all the same, and the
 * status is 0 once it is written (1 only when writing failed).
 */
int tw_stat_export(FILE *out, const char *const *shm, int nshm, const struct tw_filter *filter)
{
	const char *env = getenv("TWSHIM_SHM");
	char **found = NULL, err[512];
	const char **names;
	size_t n = 0, nfound = 0;
	struct tw_prom_ledger *ls;
	int rc = TW_EXIT_FAIL, missing;

	if (nshm) {
		names = calloc((size_t)nshm, sizeof(*names));
		for (int i = 0; names && i < nshm; i++)
			names[n++] = shm[i];
	} else if (env && *env && strcmp(env, "off") != 0) {
		names = calloc(1, sizeof(*names));
		if (names)
			names[n++] = env;
	} else {
		nfound = tw_ledger_list(&found);
		names = calloc(nfound ? nfound : 1, sizeof(*names));
		for (size_t i = 0; names && i < nfound; i++)
			names[n++] = found[i];
	}
	ls = calloc(n ? n : 1, sizeof(*ls));
	if (!names || !ls) {
		tw_cli_error("stat --prometheus: out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		struct tw_snapshot *s = malloc(sizeof(*s));
		char *shown = malloc(TW_ESC_LEN(256));

		if (!s || !shown) {
			free(s);
			free(shown);
			tw_cli_error("stat --prometheus: out of memory");
			goto done;
		}
		tw_esc_name(shown, TW_ESC_LEN(256), names[i]);
		ls[i].name = shown;
		if (tw_snapshot_read(names[i], s, &missing, err, sizeof(err)) < 0) {
			tw_cli_error("stat --prometheus: %s: twshim_ledger_up 0", err);
			free(s);
			continue;
		}
		tw_filter_snapshot(s, filter);
		ls[i].snap = s;
		ls[i].name = s->name;
		free(shown);
	}
	if (tw_stat_prometheus_ledgers(out, ls, n, err, sizeof(err)) < 0)
		tw_cli_error("stat --prometheus: %s", err);
	else
		rc = TW_EXIT_OK;
done:
	for (size_t i = 0; ls && i < n; i++) {
		if (ls[i].snap)
			free((void *)ls[i].snap);
		else
			free((void *)ls[i].name);
	}
	free(ls);
	free(names);
	tw_ledger_list_free(found, nfound);
	return rc;
}
