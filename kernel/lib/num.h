/* The one number parser of the shell, reg.exe, the dump settings and the user and host
 * tools: an unsigned decimal or 0x-prefixed hexadecimal string, checked against a maximum
 * without ever overflowing. Portable and pure; safe anywhere. */
#ifndef BB_LIB_NUM_H
#define BB_LIB_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Parse all of s ("123", "0x7B" or "0X7b"; no sign, blank or suffix) into *out. Returns 0;
 * ERR_INVALID_ARGS for an empty string, a bare "0x" or any other character; ERR_RANGE when
 * the value exceeds max (or 2^64 - 1). *out is written only on success. */
int num_parse(const char *s, uint64_t max, uint64_t *out);
/* The same for the len bytes at s (a token inside a longer string; NUL bytes are
 * characters like any other). */
int num_parse_len(const char *s, size_t len, uint64_t max, uint64_t *out);

#endif
