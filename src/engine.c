/*
 * engine.c — span compression and decompression with ISA-L or zlib.
 *
 * ISA-L's stateless deflate with FULL_FLUSH gives exactly the block shape we
 * need (independent, byte aligned, not final) at several GB/s per core; zlib
 * gets the same shape from deflateReset() + Z_SYNC_FLUSH. Levels 1-3 map to
 * ISA-L levels 1-3 when the build has ISA-L; every other level is zlib's.
 */
#include "engine.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#ifdef GZC_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#include <isa-l/crc.h>
#endif

struct gzc_deflater {
	int level;
	int use_isal;
	z_stream zs;
	int zs_ready;
#ifdef GZC_HAVE_ISAL
	struct isal_zstream is;
	unsigned char *lvlbuf;
	size_t lvlbuf_size;
#endif
};

#ifdef GZC_HAVE_ISAL
static int isal_level(int level) { return level <= 3 ? level : -1; }
#endif

const char *gzc_engine_name(int level)
{
	static const char *const zlib_names[] = {
		"zlib-0", "zlib-1", "zlib-2", "zlib-3", "zlib-4", "zlib-5", "zlib-6", "zlib-7", "zlib-8", "zlib-9",
	};
#ifdef GZC_HAVE_ISAL
	static const char *const isal_names[] = { "isal-0", "isal-1", "isal-2", "isal-3" };
	if (level >= GZC_LEVEL_MIN && isal_level(level) >= 0)
		return isal_names[isal_level(level)];
#endif
	if (level < 0 || level > 9)
		return "invalid";
	return zlib_names[level];
}

int gzc_deflater_new(int level, struct gzc_deflater **ret)
{
	struct gzc_deflater *d;

	if (level < GZC_LEVEL_MIN || level > GZC_LEVEL_MAX)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->level = level;
#ifdef GZC_HAVE_ISAL
	if (isal_level(level) >= 0) {
		/* the largest level buffers: about 10% faster than the defaults on
		 * core dumps (more tokens per block, fewer Huffman table builds) */
		static const size_t sizes[] = { ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_EXTRA_LARGE,
						ISAL_DEF_LVL2_EXTRA_LARGE, ISAL_DEF_LVL3_EXTRA_LARGE };
		d->use_isal = 1;
		d->lvlbuf_size = sizes[isal_level(level)];
		d->lvlbuf = malloc(d->lvlbuf_size ? d->lvlbuf_size : 1);
		if (!d->lvlbuf) {
			free(d);
			return -ENOMEM;
		}
		*ret = d;
		return 0;
	}
#endif
	if (deflateInit2(&d->zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(d);
		return -ENOMEM;
	}
	d->zs_ready = 1;
	*ret = d;
	return 0;
}

void gzc_deflater_free(struct gzc_deflater *d)
{
	if (!d)
		return;
	if (d->zs_ready)
		deflateEnd(&d->zs);
#ifdef GZC_HAVE_ISAL
	free(d->lvlbuf);
#endif
	free(d);
}

size_t gzc_deflate_bound(size_t len)
{
	/* stored blocks cost 5 bytes per 64 KiB at worst; keep generous slack for
	 * the engines' own block headers and the closing empty stored block */
	return len + (len >> 12) + 5 * (len / 65535 + 1) + 1024;
}

/* Random-looking data (encrypted or already compressed memory, RNG pools)
 * does not shrink, and deflating it costs the most time per byte. When every
 * sampled block has a byte entropy near 8 bits, store the span instead: the
 * result is at most 5 bytes per 64 KiB larger than the input, as deflate's
 * own stored blocks would be. */
#define SAMPLE_LEN 4096
#define SAMPLES 8
#define RANDOM_BITS 7.9

static int looks_random(const unsigned char *p, size_t len)
{
	if (len < SAMPLE_LEN * SAMPLES)
		return 0;
	for (int k = 0; k < SAMPLES; k++) {
		const unsigned char *q = p + (len - SAMPLE_LEN) / (SAMPLES - 1) * (size_t)k;
		unsigned hist[256] = { 0 };
		double bits = 0;
		for (size_t i = 0; i < SAMPLE_LEN; i++)
			hist[q[i]]++;
		for (int b = 0; b < 256; b++)
			if (hist[b]) {
				double f = (double)hist[b] / SAMPLE_LEN;
				bits -= f * log2(f);
			}
		if (bits < RANDOM_BITS)
			return 0;
	}
	return 1;
}

/* Non-final stored blocks: a byte-aligned header 00, LEN, ~LEN, then the bytes. */
#define STORED_MAX 65535u
static long store_span(const unsigned char *in, size_t len, unsigned char *out)
{
	size_t o = 0;
	do {
		size_t n = len < STORED_MAX ? len : STORED_MAX;
		out[o] = 0;
		out[o + 1] = (unsigned char)n;
		out[o + 2] = (unsigned char)(n >> 8);
		out[o + 3] = (unsigned char)~n;
		out[o + 4] = (unsigned char)(~n >> 8);
		memcpy(out + o + 5, in, n);
		o += 5 + n;
		in += n;
		len -= n;
	} while (len > 0);
	return (long)o;
}

long gzc_deflate_span(struct gzc_deflater *d, const void *in, size_t len, void *out, size_t cap)
{
	if (len > UINT_MAX || cap > UINT_MAX || cap < gzc_deflate_bound(len))
		return -ENOBUFS;
	if (looks_random(in, len))
		return store_span(in, len, out);
#ifdef GZC_HAVE_ISAL
	if (d->use_isal) {
		struct isal_zstream *s = &d->is;
		isal_deflate_stateless_init(s);
		s->level = (uint32_t)isal_level(d->level);
		s->level_buf = d->lvlbuf_size ? d->lvlbuf : NULL;
		s->level_buf_size = (uint32_t)d->lvlbuf_size;
		s->gzip_flag = IGZIP_DEFLATE;
		s->flush = FULL_FLUSH;
		s->end_of_stream = 0;
		s->next_in = (uint8_t *)in;
		s->avail_in = (uint32_t)len;
		s->next_out = out;
		s->avail_out = (uint32_t)cap;
		if (isal_deflate_stateless(s) != COMP_OK || s->avail_in != 0)
			return -EIO;
		return (long)(cap - s->avail_out);
	}
#endif
	z_stream *zs = &d->zs;
	if (deflateReset(zs) != Z_OK)
		return -EIO;
	zs->next_in = (Bytef *)in;
	zs->avail_in = (uInt)len;
	zs->next_out = out;
	zs->avail_out = (uInt)cap;
	int rc = deflate(zs, Z_SYNC_FLUSH);
	if (rc != Z_OK || zs->avail_in != 0 || zs->avail_out == 0)
		return -EIO;
	return (long)(cap - zs->avail_out);
}

struct gzc_inflater {
#ifdef GZC_HAVE_ISAL
	struct inflate_state st;
#else
	z_stream zs;
#endif
	unsigned char *out;
	size_t cap, produced;
};

int gzc_inflater_begin(const void *in, size_t inlen, void *out, size_t cap, struct gzc_inflater **ret)
{
	if (inlen > UINT_MAX || cap > UINT_MAX)
		return -EINVAL;
	/* not calloc: ISA-L's state is 85 KiB and its init sets what it needs */
	struct gzc_inflater *d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->out = out;
	d->produced = 0;
	d->cap = cap;
#ifdef GZC_HAVE_ISAL
	isal_inflate_init(&d->st);
	d->st.crc_flag = 0; /* raw deflate */
	d->st.next_in = (uint8_t *)in;
	d->st.avail_in = (uint32_t)inlen;
#else
	memset(&d->zs, 0, sizeof(d->zs));
	if (inflateInit2(&d->zs, -15) != Z_OK) {
		free(d);
		return -ENOMEM;
	}
	d->zs.next_in = (Bytef *)in;
	d->zs.avail_in = (uInt)inlen;
#endif
	*ret = d;
	return 0;
}

int gzc_inflater_run(struct gzc_inflater *d, size_t upto)
{
	if (upto > d->cap)
		return -EINVAL;
	if (upto <= d->produced)
		return 0;
	size_t want = upto - d->produced;
#ifdef GZC_HAVE_ISAL
	d->st.next_out = d->out + d->produced;
	d->st.avail_out = (uint32_t)want;
	int rc = isal_inflate(&d->st);
	d->produced += want - d->st.avail_out;
	/* ISAL_END_INPUT with the output full is the normal end of a span */
	if ((rc != ISAL_DECOMP_OK && rc != ISAL_END_INPUT) || d->st.avail_out != 0)
		return -EBADMSG;
#else
	d->zs.next_out = d->out + d->produced;
	d->zs.avail_out = (uInt)want;
	int rc = inflate(&d->zs, Z_SYNC_FLUSH);
	d->produced += want - d->zs.avail_out;
	if (!(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) || d->zs.avail_out != 0)
		return -EBADMSG;
#endif
	return 0;
}

void gzc_inflater_end(struct gzc_inflater *d)
{
	if (!d)
		return;
#ifndef GZC_HAVE_ISAL
	inflateEnd(&d->zs);
#endif
	free(d);
}

void gzc_inflater_set_input(struct gzc_inflater *d, const void *in, size_t inlen)
{
#ifdef GZC_HAVE_ISAL
	d->st.next_in = (uint8_t *)in;
	d->st.avail_in = (uint32_t)inlen;
#else
	d->zs.next_in = (Bytef *)in;
	d->zs.avail_in = (uInt)inlen;
#endif
}

size_t gzc_inflater_avail_in(const struct gzc_inflater *d)
{
#ifdef GZC_HAVE_ISAL
	return d->st.avail_in;
#else
	return d->zs.avail_in;
#endif
}

size_t gzc_inflater_produced(const struct gzc_inflater *d) { return d->produced; }

size_t gzc_inflater_footprint(void)
{
	/* zlib allocates its state and 32 KiB window besides the struct */
	return sizeof(struct gzc_inflater) + 48 * 1024;
}

int gzc_inflate_span(const void *in, size_t inlen, void *out, size_t outlen)
{
	struct gzc_inflater *d;
	if (outlen == 0)
		return 0;
	int rc = gzc_inflater_begin(in, inlen, out, outlen, &d);
	if (rc < 0)
		return rc;
	rc = gzc_inflater_run(d, outlen);
	gzc_inflater_end(d);
	return rc;
}

uint32_t gzc_crc32(uint32_t crc, const void *buf, size_t len)
{
#ifdef GZC_HAVE_ISAL
	const unsigned char *p = buf;
	while (len > 0) {
		uint64_t n = len > (1u << 30) ? (1u << 30) : len;
		crc = crc32_gzip_refl(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
#else
	const unsigned char *p = buf;
	while (len > 0) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
		crc = (uint32_t)crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
#endif
}

uint32_t gzc_adler32(uint32_t adler, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	while (len > 0) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
		adler = (uint32_t)adler32(adler, p, n);
		p += n;
		len -= n;
	}
	return adler;
}

int gzc_is_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	/* check the head, then compare the buffer with itself shifted: memcmp is
	 * vectorised and this needs no zero page */
	size_t head = len < 16 ? len : 16;
	for (size_t i = 0; i < head; i++)
		if (p[i])
			return 0;
	if (len <= 16)
		return 1;
	return memcmp(p, p + 16, len - 16) == 0;
}
