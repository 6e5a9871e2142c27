/*
 * reader.h — random access into a compressed core, ours or foreign.
 *
 * A reader pairs a compressed file with its index (loaded from disk when it
 * still matches the file and its zero spans check out, else rebuilt by a
 * scan and saved back), decodes
 * only the spans a read touches, checks each span's CRC, and keeps decoded
 * spans in a bounded LRU cache (possibly shared by many readers).
 * All-zero spans are answered without decoding.
 *
 * Thread safety: once open, a reader may be used by many threads at once.
 */
#ifndef GZC_READER_H
#define GZC_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cache.h"
#include "index.h"
#include "scan.h"

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_READER_CACHE_DEFAULT (64u << 20)

/* Index handling flags */
#define GZC_READER_NO_SAVE   0x1u /* never write the index back */
#define GZC_READER_NO_LOAD   0x2u /* ignore any index on disk, always scan */
#define GZC_READER_NO_SCAN   0x4u /* only a matching index on disk: -ENODATA, never a scan */

struct gzc_reader_opts {
	int index_dirfd;          /* directory for index_path (AT_FDCWD for plain paths) */
	const char *index_path;   /* where the index lives; NULL: no file, scan in memory */
	struct gzc_cache *cache;  /* shared cache; NULL: a private one of cache_bytes */
	size_t cache_bytes;       /* private cache size; 0 = GZC_READER_CACHE_DEFAULT */
	unsigned flags;           /* GZC_READER_* */
	gzc_progress_fn progress; /* called while scanning, may be NULL */
	void *progress_ctx;
};

/* What open did about the index, for messages. */
enum gzc_index_origin {
	GZC_INDEX_LOADED = 0,  /* read from index_path, matched the file */
	GZC_INDEX_BUILT,       /* scanned; saved to index_path if one was given */
	GZC_INDEX_BUILT_UNSAVED, /* scanned; saving failed or was not asked */
};

struct gzc_reader;

/* Opens a reader on fd (a compressed file). On success the reader owns fd
 * and closes it in gzc_reader_close(); on failure the caller still owns it.
 * opts may be NULL. err (may be NULL) says where a scan failed.
 * Errors: those of gzc_scan_build() (-EBADMSG for corrupt or truncated data,
 * -E2BIG), -ENODATA (GZC_READER_NO_SCAN and no usable index), -ENOMEM,
 * -errno. Caller owns *ret. */
GZC_MUST_CHECK int gzc_reader_open(int fd, const struct gzc_reader_opts *opts, struct gzc_reader **ret,
				   struct gzc_scan_error *err);

/* Closes the reader, its fd and its private cache. Accepts NULL. */
void gzc_reader_close(struct gzc_reader *r);

/* The compressed file's descriptor (owned by the reader), e.g. to keep
 * it open across a close of every other fd. */
int gzc_reader_fd(const struct gzc_reader *r);
/* Uncompressed size (64-bit, from the index). */
uint64_t gzc_reader_size(const struct gzc_reader *r);
/* The index in use (owned by the reader, valid until close). */
const struct gzc_index *gzc_reader_index(const struct gzc_reader *r);
enum gzc_index_origin gzc_reader_index_origin(const struct gzc_reader *r);

/* Reads up to len bytes at off. Returns the count (short only at EOF, 0 at
 * or past EOF) or -EBADMSG (a span failed to decode or its CRC did not
 * match: never wrong bytes), -ENOMEM, -errno of pread. */
GZC_MUST_CHECK ssize_t gzc_reader_pread(struct gzc_reader *r, void *buf, size_t len, uint64_t off);

/* gzc_reader_pread() shaped as corenote.h's gzc_core_read_fn (ctx is the
 * reader; reads of over 1 GiB are cut to 1 GiB, which that callback allows). */
int gzc_reader_read_cb(void *reader, uint64_t off, void *buf, size_t len);

/* Decodes span i into buf (cap >= its length) without the cache, checking
 * its CRC. Thread safe. Returns the span length or -EBADMSG, -EINVAL, -ENOMEM, -errno. */
GZC_MUST_CHECK long gzc_reader_decode_span(struct gzc_reader *r, uint32_t i, void *buf, size_t cap);

/* Whether span i is answered as zeros (1) or decoded (0). A zero span of
 * another tool's gzip file is checked at its first use here (decoded once:
 * zeros with its CRC, else damage, read as data from then on); every other
 * index had its zero spans checked at open. Thread safe. Use it, not the
 * index's ZERO flag. Returns 1, 0, or -ENOMEM, -errno of pread. */
GZC_MUST_CHECK int gzc_reader_span_zero(struct gzc_reader *r, uint32_t i);

/* lseek's SEEK_DATA / SEEK_HOLE over zero spans. Returns the offset, or
 * -ENXIO (off at or past EOF, or no data after off), -EINVAL (bad whence),
 * -ENOMEM, -errno of pread (checking a zero span, gzc_reader_span_zero). */
GZC_MUST_CHECK int64_t gzc_reader_seek(struct gzc_reader *r, uint64_t off, int whence);

#endif
