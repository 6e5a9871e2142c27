/*
 * extract.h — decompress a whole core to a file, spans in parallel.
 *
 * Workers take spans in any order and pwrite() each at its offset; zero
 * spans are skipped, so the output is sparse where the core has holes. A
 * non-seekable output (a pipe) is written in order by one thread instead.
 */
#ifndef GZC_EXTRACT_H
#define GZC_EXTRACT_H

#include <stdint.h>

#include "reader.h"

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

struct gzc_extract_opts {
	int threads;              /* 0 = online CPUs */
	gzc_progress_fn progress; /* uncompressed bytes done/total; may be NULL; called from one thread at a time */
	void *progress_ctx;
};

/* Writes every uncompressed byte of r to out_fd (from offset 0; the caller
 * owns out_fd and truncates it first if it is a regular file).
 * On a corrupt span, *ret_bad_coff/ret_bad_uoff (may be NULL) get the
 * compressed and uncompressed offsets of that span.
 * Errors: -EBADMSG (corrupt span), -ECANCELED, -ENOMEM, -errno of writes. */
GZC_MUST_CHECK int gzc_extract(struct gzc_reader *r, int out_fd, const struct gzc_extract_opts *opts,
			       uint64_t *ret_bad_coff, uint64_t *ret_bad_uoff);

#endif
