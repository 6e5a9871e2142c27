/*
 * scan.h — build a span index by reading a whole gzip or zlib file once.
 *
 * Works for any producer: our own files (checkpoints at span edges, no
 * window needed because the header says spans are independent), and foreign
 * files from gzip, pigz, 7-Zip, multi-member gzip or zlib (zran-style
 * checkpoints on deflate block edges, each with its 32 KiB window stored
 * compressed). The scan checks every member's CRC and length as it goes and
 * records a CRC-32 of every span, so later reads are verified too.
 */
#ifndef GZC_SCAN_H
#define GZC_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "index.h"

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

/* Where a scan failed, for error messages. */
struct gzc_scan_error {
	uint64_t coff;     /* compressed offset where decoding stopped */
	uint64_t uoff;     /* uncompressed bytes produced before it */
	const char *what;  /* static text, e.g. "invalid block type" */
};

/* Progress callback: done and total are compressed bytes. Return non-zero to abort (-ECANCELED). */
typedef int (*gzc_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* True if h (n bytes, the file's first) starts a gzip member (deflate) or
 * a zlib stream (deflate, valid check bits, no preset dictionary): what is
 * worth a scan. */
bool gzc_scan_sniff(const unsigned char *h, size_t n);

/* bytes the scanner reads at a time (member headers across its edges are
 * a case the tests build) */
#define GZC_SCAN_CHUNK (256u * 1024)

/* Decompresses the first len bytes (len <= 1 MiB) of the gzip or zlib file
 * fd into buf, reading at most GZC_SCAN_HEAD_IN compressed bytes: enough to
 * tell what the data is without a scan. Returns the bytes produced (fewer
 * when the data or the file ends sooner) or -EBADMSG (not gzip/zlib, corrupt, or
 * nothing within the bound), -EINVAL, -ENOMEM, -errno of pread. */
#define GZC_SCAN_HEAD_IN (1u << 20)
GZC_MUST_CHECK ssize_t gzc_scan_head(int fd, void *buf, size_t len);

/* Returns 1 if the file starts with gzcore's own gzip header (spans
 * independent) and stores its span size in *ret_span; 0 if not; -errno on read error. */
GZC_MUST_CHECK int gzc_scan_is_own(int fd, uint32_t *ret_span);

/* Scans the compressed file fd (read with pread; the caller keeps ownership)
 * and builds its index with checkpoints about every span bytes (0 = the
 * file's own span size, else GZC_FOREIGN_SPACING). err and progress may be NULL.
 * Errors: -EBADMSG (not gzip/zlib, corrupt, truncated, bad CRC: err says
 * where), -E2BIG (a deflate block longer than GZC_FOREIGN_SPAN_MAX, or too
 * many spans), -ENOMEM, -ECANCELED, -errno of pread. Caller owns *ret. */
GZC_MUST_CHECK int gzc_scan_build(int fd, uint32_t span, struct gzc_index **ret,
				  struct gzc_scan_error *err, gzc_progress_fn progress, void *ctx);

#endif
