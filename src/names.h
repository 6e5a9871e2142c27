/*
 * names.h — safe file and directory names for the store and the FUSE view.
 *
 * Names come from hostile places (a crashed program's comm, JSON inside its
 * ELF notes, a core's psargs), so every byte outside [A-Za-z0-9._-] is
 * written as "%HH" (two UPPERCASE hex digits), like URL percent-encoding.
 * '%' itself is always escaped, so the encoding is reversible:
 *
 *   "my app/1"   -> "my%20app%2F1"
 *   ".hidden"    -> "%2Ehidden"      a leading '.' or '-' is escaped too,
 *   "-rf"        -> "%2Drf"          so no "." / ".." / option-like names
 *   ""           -> "%00"            the empty string (input never holds NUL)
 *
 * Output is at most GZC_NAME_MAX bytes. A longer escaping is cut at an escape
 * boundary to at most GZC_NAME_KEEP bytes and followed by "%%" and 16 hex
 * digits of a 64-bit FNV-1a hash of the whole input. "%%" never occurs in an
 * untruncated name, so truncated and untruncated names never collide; two
 * truncated names collide only if their hashes do (not cryptographic: an
 * attacker could make two long names share a directory, nothing worse).
 *
 * No state, thread safe.
 */
#ifndef GZC_NAMES_H
#define GZC_NAMES_H

#include <stddef.h>

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

/* Longest name produced, without the NUL; well under NAME_MAX (255). */
#define GZC_NAME_MAX 100
/* Truncation marker "%%" and 16 hex digits of hash. */
#define GZC_NAME_HASH_LEN 18
/* Most escaped bytes kept in front of the marker of a truncated name. */
#define GZC_NAME_KEEP (GZC_NAME_MAX - GZC_NAME_HASH_LEN)

/* Escapes the first strnlen(in, maxlen) bytes of in into out (outcap bytes,
 * NUL-terminated). Returns the name's length (1..GZC_NAME_MAX).
 * Errors: -EINVAL (in or out NULL), -ENOBUFS (outcap too small for this name;
 * outcap >= GZC_NAME_MAX + 1 always suffices). out is untouched on failure. */
GZC_MUST_CHECK int gzc_name_escape(const char *in, size_t maxlen, char *out, size_t outcap);

/* Reverses gzc_name_escape() for an untruncated name: writes the original
 * bytes, NUL-terminated, to out. Returns the original length.
 * Errors: -EINVAL (NULL argument), -EBADMSG (not a name gzc_name_escape could
 * produce: bad escape, unescaped byte that should be escaped, or a truncated
 * name, which cannot be reversed), -ENOBUFS (outcap too small).
 * out is untouched on failure. */
GZC_MUST_CHECK int gzc_name_unescape(const char *in, char *out, size_t outcap);

/* Builds the group directory name "NAME-VERSION": NAME escaped as above, '-',
 * then VERSION escaped as above except that a leading '.' or '-' needs no
 * escape there. Example: ("my-app", "1.2-3") -> "my-app-1.2-3".
 * Not injective on the pair: ("a-b", "1") and ("a", "b-1") share a group.
 * That is deliberate, for readable names: the pair is self-declared by the
 * program, so a program can claim any group anyway, and the exact pair is
 * kept in the core's metadata. A truncated name's hash covers name, a NUL,
 * and version, so long pairs that differ anywhere get different names.
 * Returns the length. Errors: -EINVAL (NULL argument), -ENOBUFS (outcap too
 * small; GZC_NAME_MAX + 1 always suffices). out is untouched on failure. */
GZC_MUST_CHECK int gzc_group_name(const char *name, const char *version, char *out, size_t outcap);

#endif
