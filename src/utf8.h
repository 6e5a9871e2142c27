/*
 * utf8.h — well-formed UTF-8 (RFC 3629), checked byte by byte.
 *
 * Names and texts from a crashed process (its comm, command line, paths)
 * are bytes, not necessarily UTF-8; JSON (RFC 8259) wants UTF-8. These
 * tell the two apart.
 */
#ifndef GZC_UTF8_H
#define GZC_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length (1-4) of the well-formed UTF-8 sequence at s, or 0 when s[0] does
 * not start one: no overlong form, no surrogate (U+D800-U+DFFF), nothing
 * over U+10FFFF. Reads at most avail bytes and no byte after the first
 * one that is not a continuation byte (so with avail >= 4 a NUL-terminated
 * string is never read past its NUL). *ret_cp (may be NULL) gets the code
 * point on success. avail 0 gives 0. */
size_t gzc_utf8_seq(const unsigned char *s, size_t avail, uint32_t *ret_cp);

/* Whether s[0..len) is well-formed UTF-8 throughout (a NUL byte is U+0000). */
bool gzc_utf8_valid(const char *s, size_t len);

#endif
