/*
 * hex.h — lowercase hex text of binary ids (build-ids, section bytes).
 */
#ifndef GZC_HEX_H
#define GZC_HEX_H

#include <stddef.h>

/* A new NUL-terminated string of 2*n lowercase hex digits of p[0..n).
 * Caller frees it. Returns NULL when out of memory. */
char *gzc_hex_dup(const unsigned char *p, size_t n);

#endif
