/*
 * extract.h — decompress a whole core to a file, spans in parallel.
 *
 * Workers take spans in any order and pwrite() each at its offset; zero
 * spans are skipped, so the output is sparse where the core has holes. An
 * output where that would go wrong (a pipe, a device, a file in append mode
 * or with bytes past its offset) is written in order by one thread instead,
 * zeros included.
 */
#ifndef GZC_EXTRACT_H
#define GZC_EXTRACT_H

#include <stdint.h>

#include "reader.h"

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

/* Which side an extraction failed on, for the caller's message. */
enum gzc_extract_side {
	GZC_EXTRACT_OTHER = 0, /* neither: cancelled, out of memory */
	GZC_EXTRACT_INPUT,     /* reading or decoding the compressed file (-EBADMSG: corrupt) */
	GZC_EXTRACT_OUTPUT,    /* writing, truncating or seeking out_fd */
};

/* Where an extraction stopped. */
struct gzc_extract_stop {
	enum gzc_extract_side side;
	uint64_t coff;  /* compressed offset: see each function */
	uint64_t uoff;  /* uncompressed offset in the core (not in the output) */
};

struct gzc_extract_opts {
	int threads;              /* 0 = online CPUs */
	gzc_progress_fn progress; /* uncompressed bytes done/total; may be NULL; called from one thread at a time */
	void *progress_ctx;
	int sequential;           /* gzc_extract_onepass(): read in_fd from its offset on, even a file */
};

/* Writes every uncompressed byte of r to out_fd, from its current offset,
 * and leaves the offset after them (the caller owns out_fd).
 * On failure only, *ret_stop (may be NULL) gets the side that failed and
 * the compressed and uncompressed offsets of the span it failed in (of the
 * core's end when truncating or seeking the output failed).
 * Errors: -EBADMSG (corrupt span), -errno of reading the input (side
 * GZC_EXTRACT_INPUT), -errno of writes (GZC_EXTRACT_OUTPUT), -ECANCELED,
 * -ENOMEM (GZC_EXTRACT_OTHER). */
GZC_MUST_CHECK int gzc_extract(struct gzc_reader *r, int out_fd, const struct gzc_extract_opts *opts,
			       struct gzc_extract_stop *ret_stop);

/* Decompresses the gzip (every member) or zlib file in_fd from its start to
 * out_fd in one pass, with no index: for a file that cannot be indexed,
 * such as one deflate block longer than GZC_FOREIGN_SPAN_MAX (igzip -0
 * writes those). One thread; every member's CRC-32 and size, or the
 * Adler-32, is checked; whole zero blocks become holes in a regular output
 * file. in_fd is read with pread from offset 0 when it is a file or a
 * block device, else (a pipe, a socket, a terminal), or with
 * opts->sequential, with read from where it stands, to its end; out_fd is written from its current offset, as
 * gzc_extract() does (the caller owns both). Progress counts compressed
 * bytes, against a total of 0 for a stream. On failure only, *ret_stop (may be NULL) gets
 * the side that failed and the compressed and uncompressed offsets where
 * decoding stopped (for a failed read of in_fd: the offset read).
 * Errors: -EBADMSG (corrupt or truncated), -errno of reading in_fd (side
 * GZC_EXTRACT_INPUT), -errno of writes (GZC_EXTRACT_OUTPUT), -ECANCELED,
 * -ENOMEM (GZC_EXTRACT_OTHER). */
GZC_MUST_CHECK int gzc_extract_onepass(int in_fd, int out_fd, const struct gzc_extract_opts *opts,
				       struct gzc_extract_stop *ret_stop);

#endif
