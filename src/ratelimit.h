/*
 * ratelimit.h — the per-executable rate limit's memory, in the store.
 *
 * <root>/.ratelimit holds one line per admitted crash, "<ts_us> <key>\n",
 * where key is 16 hex digits of a hash of the executable's path (or comm).
 * A crash admitted but not yet stored is pending: its line ends in
 * " <pid>/<start>", the handler holding it and that process's start time
 * (clock ticks after boot, /proc/<pid>/stat field 22). A pending entry
 * counts while its handler lives; once that handler is gone (killed before
 * it stored the core or gave the slot back) the entry is dropped, so a
 * killed handler costs no slot.
 * A check reads this one small file (entries older than the window are
 * dropped on every write), never the sidecars, so a crash storm costs the
 * same per crash whatever the store holds. The file is a cache of recent
 * history: a missing or corrupt one starts empty.
 * Contract: the caller holds the store lock (gzc_store_lock).
 */
#ifndef GZC_RATELIMIT_H
#define GZC_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_RATELIMIT_FILE ".ratelimit"
#define GZC_RATELIMIT_MAX_LINES 100000
#define GZC_RATELIMIT_MAX_FILE (4u << 20)

/* Key of an executable: 16 lowercase hex digits of a 64-bit FNV-1a hash of
 * exe (plus a NUL). out must hold 17 bytes. */
void gzc_ratelimit_key(const char *exe, char out[17]);

/* Counts the crashes of key in (now_us - window_s, now_us], pending ones of
 * live handlers included; if fewer than count, notes this one and sets
 * *ret_allowed. With holder > 0 (the handler's pid, getpid()) the note is
 * pending until gzc_ratelimit_confirm() or gzc_ratelimit_forget(); with
 * holder 0, or when /proc does not give holder's start time, it is final.
 * count 0 allows everything and writes nothing. Errors: -errno of writing
 * the file, -ENOMEM; on an error *ret_allowed is set to true (a broken file
 * must not drop cores). */
GZC_MUST_CHECK int gzc_ratelimit_admit(int rootfd, const char *key, uint64_t now_us, uint32_t count,
				       uint64_t window_s, pid_t holder, bool *ret_allowed);

/* Makes holder's pending note of key at ts_us final: its core is stored,
 * and the crash counts after its handler exits. No such line, or one
 * already final, is no error. Errors: -errno of writing the file, -ENOMEM
 * (the note stays pending: the crash stops counting when its handler
 * exits). */
GZC_MUST_CHECK int gzc_ratelimit_confirm(int rootfd, const char *key, uint64_t ts_us, pid_t holder);

/* Takes back what gzc_ratelimit_admit() noted for key at ts_us with this
 * holder (one line: the one pending with holder's pid, else a final one of
 * that key and time), for a crash admitted but not stored after all: the
 * limit counts stored cores. No such line is no error. Errors: -errno of
 * writing the file, -ENOMEM. */
GZC_MUST_CHECK int gzc_ratelimit_forget(int rootfd, const char *key, uint64_t ts_us, pid_t holder);

#endif
