/*
 * writer.h — compress a stream of bytes into a seekable gzip (or zlib) file.
 *
 * Bytes come in pieces of any size (write, or read straight from a pipe);
 * full spans go to worker threads that compress them in parallel, and
 * finished spans are written to the output fd strictly in order. Memory is
 * bounded by (2 × threads + 2) × (span + its compression bound), about 12 MiB
 * at the defaults on 2 CPUs, and by GZC_WRITER_MEM_BUDGET for many threads or
 * large spans (down to threads + 1 slots), whatever the input size. No
 * uncompressed copy touches disk.
 */
#ifndef GZC_WRITER_H
#define GZC_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "format.h"
#include "index.h"

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_WRITER_MEM_BUDGET (48u << 20)

struct gzc_writer_opts {
	int level;                   /* 1..9; 0 = GZC_LEVEL_DEFAULT */
	enum gzc_container container; /* GZC_GZIP (default) or GZC_ZLIB */
	uint32_t span;               /* GZC_SPAN_MIN..GZC_SPAN_MAX; 0 = default (1 MiB, 4 MiB at level 9) */
	int threads;                 /* worker threads; 0 = online CPUs */
	uint32_t mtime;              /* gzip MTIME field (e.g. the crash time); 0 = none */
};

struct gzc_writer;

/* Starts a compressed stream on out_fd: a regular file positioned at 0 and
 * opened O_RDWR, since finishing reads the output back for the index's
 * fingerprint (the writer does not own it). Writes the header at once.
 * Errors: -EINVAL (bad option), -ENOMEM, -errno of thread creation or write. */
GZC_MUST_CHECK int gzc_writer_new(int out_fd, const struct gzc_writer_opts *opts, struct gzc_writer **ret);

/* Feeds len bytes. Errors: the first output error (sticky), e.g. -ENOSPC;
 * after an error further input is refused, but gzc_writer_finish() can still
 * close the stream validly (see there). */
GZC_MUST_CHECK int gzc_writer_write(struct gzc_writer *w, const void *buf, size_t len);

/* Reads from in_fd straight into span buffers until EOF or until max bytes
 * (0 = no limit) have been taken. *ret_taken (may be NULL) gets the bytes
 * taken by this call. A regular file's whole spans are read by the worker
 * threads with pread, in parallel, from the current offset; the offset is
 * left just past the bytes taken, as read() would leave it. A file that
 * shrinks meanwhile ends the input where its reads came up short.
 * Returns 0 at EOF, 1 when max was reached first, -errno of a read error
 * (the bytes before it are kept), or an output error as gzc_writer_write(). */
GZC_MUST_CHECK int gzc_writer_read_fd(struct gzc_writer *w, int in_fd, uint64_t max, uint64_t *ret_taken);

/* Flushes the last span and writes the final block, the trailer and returns
 * the index (flags |= extra_flags, e.g. GZC_IDX_F_TRUNCATED). After an output
 * error (a full disk) it cuts the file back to the last whole span, sets
 * GZC_IDX_F_TRUNCATED and still closes the stream validly if the disk lets it.
 * Does not fsync or close out_fd. Caller owns *ret_index.
 * Errors: -errno of the final writes/ftruncate, -ENOMEM. On error the output
 * is not a valid file and must be discarded. */
GZC_MUST_CHECK int gzc_writer_finish(struct gzc_writer *w, uint32_t extra_flags, struct gzc_index **ret_index);

/* Bytes taken so far (uncompressed) and bytes written (compressed). */
uint64_t gzc_writer_bytes_in(const struct gzc_writer *w);
uint64_t gzc_writer_bytes_out(const struct gzc_writer *w);
/* Bytes taken whose compressed form is written (uncompressed): what is
 * taken beyond it may still come out at up to its own size. */
uint64_t gzc_writer_bytes_done(const struct gzc_writer *w);

/* Waits until every whole span taken so far is compressed and written; the
 * span being filled stays open. Returns 0 or the first output error (as
 * gzc_writer_output_error()). */
GZC_MUST_CHECK int gzc_writer_drain(struct gzc_writer *w);
/* The most input the writer holds taken but not yet written out: its slots
 * times its span (which is 4 MiB at level 9 unless set). */
uint64_t gzc_writer_inflight_max(const struct gzc_writer *w);

/* The first bytes taken (up to GZC_WRITER_HEAD_MAX), e.g. to read an ELF
 * core's headers and tell whether the input ended early (gzc_core_extent):
 * 4 MiB holds the ELF header and the largest program header table without
 * PN_XNUM (65,534 entries of 56 bytes). Owned by the writer, valid until
 * gzc_writer_free(). */
#define GZC_WRITER_HEAD_MAX (4u << 20)
const void *gzc_writer_head(const struct gzc_writer *w, size_t *ret_len);

/* The first output error (e.g. -ENOSPC), or 0. */
int gzc_writer_output_error(const struct gzc_writer *w);

/* Stops the workers and frees everything. Accepts NULL. */
void gzc_writer_free(struct gzc_writer *w);

#endif
