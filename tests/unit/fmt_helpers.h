/*
 * fmt_helpers.h — shared by the format/library unit tests (engine, writer,
 * index, scan, reader, extract, tmpfile).
 *
 * Inputs are generated, never stored: fill_mixed() gives a deterministic mix
 * of zero runs, log-like text and pseudo-random bytes, so every test can
 * rebuild the exact bytes it compressed and compare byte for byte. zlib's own
 * inflate is the referee for "is this a valid gzip/zlib stream".
 * Only the Criterion test thread may call these (they assert).
 */
#ifndef GZC_FMT_HELPERS_H
#define GZC_FMT_HELPERS_H

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gzcore.h"

static inline uint64_t th_rand(uint64_t *s)
{
	/* xorshift64*: fast, deterministic, good enough to defeat deflate */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Fills buf with 4 KiB blocks, each zeros, text or random, chosen from seed. */
static inline void fill_mixed(unsigned char *buf, size_t len, uint64_t seed)
{
	static const char words[] = "core dump heap stack frame pointer thread signal SIGSEGV 0x7ffd ";
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	for (size_t off = 0; off < len; off += 4096) {
		size_t n = len - off < 4096 ? len - off : 4096;
		unsigned kind = (unsigned)(th_rand(&s) % 4);
		unsigned char *p = buf + off;
		if (kind == 0) {
			memset(p, 0, n);
		} else if (kind == 1) {
			for (size_t i = 0; i < n; i++)
				p[i] = (unsigned char)words[(i * 7 + (th_rand(&s) & 3)) % (sizeof(words) - 1)];
		} else {
			for (size_t i = 0; i < n; i += 8) {
				uint64_t v = th_rand(&s);
				memcpy(p + i, &v, n - i < 8 ? n - i : 8);
			}
		}
	}
	if (len)
		buf[0] = (unsigned char)(seed | 1); /* never an all-zero buffer */
}

static inline unsigned char *alloc_mixed(size_t len, uint64_t seed)
{
	unsigned char *b = malloc(len ? len : 1);
	cr_assert_not_null(b);
	fill_mixed(b, len, seed);
	return b;
}

/* A fresh private directory; its path is copied into dir (>= 64 bytes). */
static inline void th_tmpdir(char *dir)
{
	strcpy(dir, "/tmp/gzc-unit.XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

/* rm -rf for the flat directories the tests make. */
static inline void th_rmdir(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
		/* best effort */
	}
}

/* Whole file contents from fd (from offset 0). Caller frees. */
static inline unsigned char *th_slurp(int fd, size_t *ret_len)
{
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	unsigned char *b = malloc((size_t)st.st_size + 1);
	cr_assert_not_null(b);
	ssize_t n = gzc_pread_all(fd, b, (size_t)st.st_size, 0);
	cr_assert_eq(n, st.st_size, "short read of compressed file");
	*ret_len = (size_t)st.st_size;
	return b;
}

/*
 * Compresses data[0..len) with opts into a new file (path in ret_path, >= 128
 * bytes), feeding it in pieces whose sizes come from piece_seed (0: one call).
 * Returns the open fd (O_RDWR) and the writer's index in *ret_idx (may be NULL).
 */
static inline int th_compress(const char *dir, const char *name, const void *data, size_t len,
			      const struct gzc_writer_opts *opts, uint64_t piece_seed,
			      struct gzc_index **ret_idx, char *ret_path)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	struct gzc_writer *w = NULL;
	cr_assert_eq(gzc_writer_new(fd, opts, &w), 0);
	const unsigned char *p = data;
	size_t left = len;
	uint64_t s = piece_seed;
	while (left > 0) {
		size_t n = left;
		if (piece_seed) {
			/* mostly small odd pieces, sometimes big ones that cross spans */
			uint64_t x = th_rand(&s);
			n = (x & 7) == 0 ? (size_t)(x >> 8) % (3u << 20) + 1 : (size_t)(x >> 8) % 70000 + 1;
			if (n > left)
				n = left;
		}
		cr_assert_eq(gzc_writer_write(w, p, n), 0);
		p += n;
		left -= n;
	}
	cr_assert_eq(gzc_writer_bytes_in(w), len);
	struct gzc_index *idx = NULL;
	cr_assert_eq(gzc_writer_finish(w, 0, &idx), 0);
	gzc_writer_free(w);
	if (ret_idx)
		*ret_idx = idx;
	else
		gzc_index_free(idx);
	if (ret_path) /* callers pass char[128]; the paths are short temp names */
		snprintf(ret_path, 128, "%.127s", path);
	return fd;
}

/*
 * Inflates a whole gzip (wbits 31) or zlib (15) buffer with zlib itself,
 * demanding a stream end and nothing after it. Returns the output (caller
 * frees) and its length, or NULL when zlib refuses the stream.
 */
static inline unsigned char *th_zlib_inflate(const unsigned char *in, size_t inlen, int wbits, size_t *ret_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	cr_assert_eq(inflateInit2(&zs, wbits), Z_OK);
	size_t cap = inlen * 4 + 65536, len = 0;
	unsigned char *out = malloc(cap);
	cr_assert_not_null(out);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)inlen;
	int rc;
	do {
		if (len == cap) {
			cap *= 2;
			out = realloc(out, cap);
			cr_assert_not_null(out);
		}
		zs.next_out = out + len;
		zs.avail_out = (uInt)(cap - len);
		rc = inflate(&zs, Z_NO_FLUSH);
		len = cap - zs.avail_out;
	} while (rc == Z_OK);
	int ok = rc == Z_STREAM_END && zs.avail_in == 0;
	inflateEnd(&zs);
	if (!ok) {
		free(out);
		return NULL;
	}
	*ret_len = len;
	return out;
}

/* Opens a reader on path with no index file (always scans) and a private cache. */
static inline struct gzc_reader *th_reader(const char *path, const struct gzc_reader_opts *opts)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	struct gzc_reader *r = NULL;
	struct gzc_scan_error err = { 0 };
	int rc = gzc_reader_open(fd, opts, &r, &err);
	cr_assert_eq(rc, 0, "reader_open %s: %d (%s at %llu)", path, rc, err.what ? err.what : "",
		     (unsigned long long)err.coff);
	return r;
}

/* zlib's own stream of data at level (Z_NO_COMPRESSION: stored blocks,
 * whose size depends only on len), gzip (wbits 31), zlib (15) or raw
 * deflate (-15), in a new buffer of *ret_len bytes. Caller frees. */
static inline unsigned char *th_deflated(const unsigned char *data, size_t len, int level, int wbits, size_t *ret_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	cr_assert_eq(deflateInit2(&zs, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&zs, (uLong)len) + 64;
	unsigned char *out = malloc(cap);
	cr_assert_not_null(out);
	zs.next_in = (unsigned char *)data;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*ret_len = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

/* th_deflated()'s stream appended to fd. */
static inline void th_append_deflated(int fd, const unsigned char *data, size_t len, int level, int wbits)
{
	size_t n;
	unsigned char *out = th_deflated(data, len, level, wbits, &n);
	cr_assert_eq(gzc_write_all(fd, out, n), 0);
	free(out);
}

/* A copy of idx (sizes, fingerprint and data CRC too) in which span zi, a
 * data span, is flagged zero with the CRC of zeros (or, keep_crc, its own
 * true CRC) and no segment CRCs: an index that lies about one span behind a
 * valid checksum and fingerprint. Caller frees it. */
static inline struct gzc_index *th_index_flag_zero(const struct gzc_index *idx, uint32_t zi, int keep_crc)
{
	struct gzc_index *bad;
	cr_assert_eq(idx->spans[zi].flags & GZC_SPAN_F_ZERO, 0, "span %u is a zero span already", zi);
	cr_assert_eq(gzc_index_new(idx->span_size, idx->flags, &bad), 0);
	bad->seg_size = idx->seg_size;
	for (uint32_t i = 0; i < idx->nspans; i++) {
		struct gzc_span sp = idx->spans[i];
		uint32_t k = gzc_index_span_nsegs(idx, i);
		if (i == zi) {
			size_t len = (size_t)gzc_index_span_len(idx, i);
			unsigned char *z = calloc(1, len);
			cr_assert_not_null(z);
			sp.flags |= GZC_SPAN_F_ZERO;
			if (!keep_crc)
				sp.crc = gzc_crc32(0, z, len);
			free(z);
			k = 0;
		}
		cr_assert_eq(gzc_index_append_ex(bad, &sp, sp.wlen ? idx->windows + sp.woff : NULL, sp.wlen,
						 k ? idx->seg_crcs + idx->spans[i].seg0 : NULL, k), 0);
	}
	bad->usize = idx->usize;
	bad->csize = idx->csize;
	bad->head_crc = idx->head_crc;
	bad->tail_crc = idx->tail_crc;
	bad->data_crc = idx->data_crc;
	return bad;
}

static inline struct gzc_index *th_index_zeroing(const struct gzc_index *idx, uint32_t zi)
{
	return th_index_flag_zero(idx, zi, 0);
}

/* Asserts a == b over len bytes, naming the first differing offset. */
#define th_assert_bytes(a, b, len, ...)                                                        \
	do {                                                                                   \
		const unsigned char *_a = (const unsigned char *)(a), *_b = (const unsigned char *)(b); \
		size_t _n = (len), _i = 0;                                                     \
		while (_i < _n && _a[_i] == _b[_i])                                            \
			_i++;                                                                  \
		cr_assert_eq(_i, _n, "bytes differ at offset %zu of %zu", _i, _n);             \
	} while (0)

#endif
