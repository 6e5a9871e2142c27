/*
 * hex.h — lowercase hex text of binary ids (build-ids, section bytes), and
 * the 64-bit FNV-1a hash that names and signatures are made of.
 */
#ifndef GZC_HEX_H
#define GZC_HEX_H

#include <stddef.h>
#include <stdint.h>

/* A new NUL-terminated string of 2*n lowercase hex digits of p[0..n).
 * Caller frees it. Returns NULL when out of memory. */
char *gzc_hex_dup(const unsigned char *p, size_t n);

/* 64-bit FNV-1a: start with h = GZC_FNV1A_INIT, feed bytes in pieces.
 * For names and grouping, not against forgery (anyone can collide it). */
#define GZC_FNV1A_INIT 0xcbf29ce484222325ull
uint64_t gzc_fnv1a(uint64_t h, const void *p, size_t n);

#endif
