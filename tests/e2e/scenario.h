// SPDX-License-Identifier: MIT
/* Running an end-to-end scenario script (tests/e2e/NAME.sh) in its own
 * namespaces, bounded in time, from a Criterion test. */
#ifndef TW_SCENARIO_H
#define TW_SCENARIO_H

/* Runs the script; fails the test with its output if it does not exit 0.
 * Extra environment: "VAR=VALUE" strings, NULL-terminated, may be NULL. */
void tw_scenario(const char *name, int timeout_s, const char *const *env);

/* The same as real root, without a user namespace (pid, mount and network
 * namespaces still private); skipped, saying so, when not run as root. */
void tw_scenario_root(const char *name, int timeout_s, const char *const *env);

/* The same in the host's network namespace, for a script that fetches
 * (debootstrap from Debian's mirror) and checks nothing on the network. */
void tw_scenario_root_online(const char *name, int timeout_s, const char *const *env);

#endif
