/*
 * index.h — the span index: where each span of a compressed core starts.
 *
 * The index is a cache beside the compressed file ("<file>.gzx"). It carries
 * its own version and CRC and a fingerprint of the file it describes (size,
 * CRC of head and tail), so a reader can tell a stale or foreign index and
 * rebuild it with gzc_scan_build(). Byte layout: format.h and docs/FORMAT.md.
 */
#ifndef GZC_INDEX_H
#define GZC_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

struct gzc_span {
	uint64_t uoff;   /* uncompressed offset of the span's first byte */
	uint64_t coff;   /* compressed offset of the span's first whole byte */
	uint64_t woff;   /* offset of its window in gzc_index.windows */
	uint32_t wlen;   /* compressed window length, 0 = no window needed */
	uint32_t crc;    /* CRC-32 of the span's uncompressed bytes */
	uint8_t bits;    /* how many high bits of byte coff-1 start the span (0..7) */
	uint8_t flags;   /* GZC_SPAN_F_* */
	uint64_t seg0;   /* in memory only: index of its first CRC in gzc_index.seg_crcs */
};

struct gzc_index {
	uint32_t flags;      /* GZC_IDX_F_* */
	uint32_t span_size;  /* nominal span size */
	uint32_t nspans;
	uint64_t usize;      /* full uncompressed size, 64 bits */
	uint64_t csize;      /* compressed file size */
	uint32_t head_crc, tail_crc; /* fingerprint of the compressed file */
	uint32_t data_crc;   /* CRC-32 of all uncompressed bytes */
	uint32_t seg_size;   /* check segment size, 0 = spans carry only their whole CRC */
	uint32_t *seg_crcs;  /* CRC-32 per check segment, see format.h */
	uint64_t nseg;
	struct gzc_span *spans;
	unsigned char *windows; /* raw-deflated 32 KiB windows */
	uint64_t wsize;
	/* private: capacities */
	size_t spans_cap, windows_cap, seg_cap;
};

/* Allocates an empty index. Errors: -ENOMEM. Caller owns *ret (gzc_index_free). */
GZC_MUST_CHECK int gzc_index_new(uint32_t span_size, uint32_t flags, struct gzc_index **ret);
/* Frees an index. Accepts NULL. */
void gzc_index_free(struct gzc_index *idx);

/* Appends a span; window (wlen bytes, already compressed) may be NULL/0.
 * Errors: -ENOMEM, -E2BIG (more than GZC_IDX_MAX_SPANS), -EINVAL (offsets not increasing). */
GZC_MUST_CHECK int gzc_index_append(struct gzc_index *idx, const struct gzc_span *span,
				    const void *window, uint32_t wlen);

/* As gzc_index_append(), with the span's check segment CRCs (nsegs must be
 * ceil(len / idx->seg_size) for a span with data, 0 for an all-zero span;
 * gzc_index_decode() enforces it). Errors: as gzc_index_append(). */
GZC_MUST_CHECK int gzc_index_append_ex(struct gzc_index *idx, const struct gzc_span *span,
				       const void *window, uint32_t wlen, const uint32_t *segs, uint32_t nsegs);

/* Number of check segment CRCs span i has. */
uint32_t gzc_index_span_nsegs(const struct gzc_index *idx, uint32_t i);

/* Drops the last span (used when the writer gives back space on a full disk). */
void gzc_index_pop(struct gzc_index *idx);

/* Uncompressed length of span i (i < nspans). */
uint64_t gzc_index_span_len(const struct gzc_index *idx, uint32_t i);

/* CRC-32 of all the uncompressed data, combined from the spans' CRCs
 * (needs usize set: it gives the last span's length). */
uint32_t gzc_index_combined_crc(const struct gzc_index *idx);

/* Index of the span holding uncompressed offset off (off < usize). */
uint32_t gzc_index_find(const struct gzc_index *idx, uint64_t off);

/* Reads csize, head_crc and tail_crc of the compressed file fd into idx.
 * Errors: -errno from fstat/pread, -EBADMSG (file shrank while reading). */
GZC_MUST_CHECK int gzc_index_fingerprint(int fd, struct gzc_index *idx);

/* Returns 0 if idx describes the compressed file fd (same size, head, tail),
 * -ESTALE if not, or -errno from reading fd. */
GZC_MUST_CHECK int gzc_index_matches(const struct gzc_index *idx, int fd);

/* Serialises idx. Caller owns *ret_buf (free()). Errors: -ENOMEM, -E2BIG. */
GZC_MUST_CHECK int gzc_index_encode(const struct gzc_index *idx, unsigned char **ret_buf, size_t *ret_len);

/* Parses and validates an index (untrusted bytes): magic, version, CRC,
 * bounds, offsets strictly increasing, windows within the area.
 * Errors: -EBADMSG (corrupt), -EPROTONOSUPPORT (other version), -ENOMEM.
 * Caller owns *ret. */
GZC_MUST_CHECK int gzc_index_decode(const void *buf, size_t len, struct gzc_index **ret);

/* Writes idx to path (relative to dirfd, or AT_FDCWD) atomically: a
 * temporary name of its own (path.tmp.RANDOM), fsync, rename.
 * Errors: -errno of the failing call, -ENOMEM, -EEXIST (no free
 * temporary name in 100 tries). */
GZC_MUST_CHECK int gzc_index_save(const struct gzc_index *idx, int dirfd, const char *path);

/* Loads and validates an index file (regular file only, no symlinks, no
 * holes, at most GZC_IDX_MAX_FILE bytes; else -EBADMSG, unread).
 * Errors: -ENOENT, -errno, and those of decode. */
#define GZC_IDX_MAX_FILE (4ull << 30)
GZC_MUST_CHECK int gzc_index_load(int dirfd, const char *path, struct gzc_index **ret);

/* Loads the index of the compressed file open on fd: as gzc_index_load(),
 * and one made for another file (gzc_index_matches()) gives -ESTALE, or
 * -errno of reading fd. Caller owns *ret. */
GZC_MUST_CHECK int gzc_index_load_for(int dirfd, const char *path, int fd, struct gzc_index **ret);

#endif
