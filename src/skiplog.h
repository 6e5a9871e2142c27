/*
 * skiplog.h — crashes whose core was not stored, kept in the store.
 *
 * A crash the handler skips (the rate limit, RLIMIT_CORE below a page, no
 * room in the store, nothing of the core fitting, a process that is not
 * the one the kernel named) leaves no core, but `gzcoredump list` still
 * shows it, as coredumpctl shows a crash with no core file. <root>/.skipped
 * holds them, one JSON object per line (format: docs/FORMAT.md): a record
 * is one append; once the file passes GZC_SKIPLOG_COMPACT_AT it is
 * rewritten with its newest GZC_SKIPLOG_MAX, so a crash storm costs one
 * small file and little time under the lock. Readers see the newest
 * GZC_SKIPLOG_MAX. The file is a log, not a store: a missing one is empty,
 * and lines that do not parse are skipped.
 * Contract for gzc_skiplog_add: the caller holds the store lock.
 */
#ifndef GZC_SKIPLOG_H
#define GZC_SKIPLOG_H

#include <stddef.h>
#include <stdint.h>

#include "meta.h"

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_SKIPLOG_FILE ".skipped"
#define GZC_SKIPLOG_MAX 1000            /* records kept */
#define GZC_SKIPLOG_LINE_MAX 16384      /* a longer line is not read */
#define GZC_SKIPLOG_STR_MAX 256         /* strings are cut to this many bytes */
#define GZC_SKIPLOG_MAX_FILE ((size_t)GZC_SKIPLOG_MAX * GZC_SKIPLOG_LINE_MAX)
#define GZC_SKIPLOG_COMPACT_AT (1u << 20) /* past this size, the file is rewritten */

/* One skipped crash. meta holds what is known of it: timestamp_us, pid,
 * uid, signal, signal_name, comm, exe, app, app_version (absent ones as
 * gzc_meta_init leaves them); reason says why no core was stored. */
struct gzc_skip {
	struct gzc_meta meta;
	char *reason;
};

/* Appends a record of m (the fields above; longer strings are cut at a
 * UTF-8 boundary) with its reason. Errors: -EINVAL (NULL m or reason),
 * -ENOMEM, -errno of writing the file (a failed rewrite leaves the old one). */
GZC_MUST_CHECK int gzc_skiplog_add(int rootfd, const struct gzc_meta *m, const char *reason);

/* Reads the records, newest first. A missing file gives none. Caller
 * frees *ret with gzc_skiplog_free().
 * Errors: -ENOMEM, -EFBIG (over GZC_SKIPLOG_MAX_FILE), -errno of reading. */
GZC_MUST_CHECK int gzc_skiplog_read(int rootfd, struct gzc_skip **ret, size_t *ret_n);

/* Parses the text of a skip log (exposed for tests and fuzzing): as
 * gzc_skiplog_read(), from memory. Errors: -ENOMEM. */
GZC_MUST_CHECK int gzc_skiplog_parse(const char *text, size_t len, struct gzc_skip **ret, size_t *ret_n);

/* Frees what gzc_skiplog_read()/parse() returned. Accepts NULL. */
void gzc_skiplog_free(struct gzc_skip *s, size_t n);

#endif
