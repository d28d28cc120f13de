// SPDX-License-Identifier: MIT
/*
 * Text the CLI did not make, made safe to print. Command names come from
 * ledgers (any bytes a process put in its comm, or a planted segment put
 * there), ledger names from /dev/shm (any bytes a local user chose): none
 * may reach a terminal, a JSON document, a Prometheus label or a command
 * line as it is.
 *
 * tw_esc_name() gives one form, the same in every output, so that a name in
 * the table, in --json and in --prometheus can be matched: printable UTF-8
 * as it is, a backslash doubled, every other byte (C0 controls, DEL, C1
 * controls, bidirectional and other invisible format characters, bytes that
 * are not valid UTF-8) as \xNN. It is reversible, so two different names
 * never print alike (two Prometheus series never collide), and its result
 * is valid UTF-8 without a control character.
 */
#ifndef TW_ESCAPE_H
#define TW_ESCAPE_H

#include <stddef.h>

/* The room tw_esc_name() needs for n input bytes, its NUL included. */
#define TW_ESC_LEN(n) ((n)*4 + 1)

/* The length of the valid UTF-8 sequence at s (NUL-terminated), or 0 when
 * none starts there (no overlong forms, no surrogates, nothing above
 * U+10FFFF: as Go's utf8 package and Prometheus judge). */
size_t tw_utf8_len(const unsigned char *s);

/* s escaped into out (len bytes, NUL-terminated). Cut short, it ends
 * before a whole escape or character, never inside one. */
void tw_esc_name(char *out, size_t len, const char *s);

/* s as one shell word: as it is when made of [A-Za-z0-9_.,:+=@%/-] only,
 * else single-quoted (a ' inside as '\''), so that a name printed in a
 * command to copy is never run, expanded or split by the shell. Cut
 * short, "" (an empty out) rather than a broken quote. */
void tw_esc_shell(char *out, size_t len, const char *s);

#endif
