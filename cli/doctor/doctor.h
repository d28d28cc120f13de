// SPDX-License-Identifier: MIT
/* twshim doctor (cli/doctor/): the kernel's TIME_WAIT joined with the
 * ledgers' names, judged. What the rest of the command calls; the folder's
 * own files share diagnosis.h. */
#ifndef TW_DOCTOR_H
#define TW_DOCTOR_H

#include <stdio.h>

/* The verb: twshim doctor [OPTIONS]; the process exit status. */
int tw_cmd_doctor(int argc, char **argv);

/* doctor --prometheus as twshim export serves it: this namespace, the
 * ledgers doctor would read; to out. 0, or -1 (said on stderr). */
int tw_doctor_export(FILE *out);

#endif
