/*
 * test_engine.c — unit tests of the span engine (src/engine.c).
 *
 * The referee is zlib's own inflate: a span must be raw deflate that it
 * decodes with no window, whose blocks are all non-final (inflate never
 * reports Z_STREAM_END) and which ends on a byte boundary (a following span
 * decodes right after it). Runs for every level, so both the ISA-L levels
 * (when built with it) and zlib's are covered.
 */
#include "fmt_helpers.h"

static struct gzc_deflater *new_deflater(int level)
{
	struct gzc_deflater *d = NULL;
	cr_assert_eq(gzc_deflater_new(level, &d), 0, "level %d", level);
	cr_assert_not_null(d);
	return d;
}

/* Raw-inflates in with zlib until outlen bytes came out; asserts no final block
 * was seen and the decoder consumed every input byte. */
static void zlib_raw_check(const unsigned char *in, size_t inlen, const unsigned char *want, size_t outlen)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	cr_assert_eq(inflateInit2(&zs, -15), Z_OK);
	unsigned char *out = malloc(outlen + 16);
	cr_assert_not_null(out);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = out;
	zs.avail_out = (uInt)outlen + 16;
	int rc = inflate(&zs, Z_SYNC_FLUSH);
	cr_assert(rc == Z_OK || rc == Z_BUF_ERROR, "inflate rc %d (%s)", rc, zs.msg ? zs.msg : "");
	cr_assert_neq(rc, Z_STREAM_END, "a span must not contain a final block");
	cr_assert_eq(zs.avail_in, 0u, "inflate left %u bytes of the span", zs.avail_in);
	cr_assert_eq(zs.total_out, outlen);
	/* byte aligned: after the span inflate sits on a block edge with no bits left */
	cr_assert_eq(zs.data_type & 7, 0, "span does not end byte aligned (%d bits)", zs.data_type & 7);
	th_assert_bytes(out, want, outlen);
	inflateEnd(&zs);
	free(out);
}

static long deflate_into(struct gzc_deflater *d, const void *in, size_t len, unsigned char **ret_out)
{
	size_t cap = gzc_deflate_bound(len);
	unsigned char *out = malloc(cap);
	cr_assert_not_null(out);
	long n = gzc_deflate_span(d, in, len, out, cap);
	cr_assert_gt(n, 0, "deflate_span(len %zu) = %ld", len, n);
	cr_assert_leq((size_t)n, cap);
	*ret_out = out;
	return n;
}

Test(engine, every_level_is_independent_raw_deflate)
{
	size_t sizes[] = { 1, 100, 65535, 65536, 65537, 1u << 20 };
	unsigned char *data = alloc_mixed(1u << 20, 7);
	for (int level = GZC_LEVEL_MIN; level <= GZC_LEVEL_MAX; level++) {
		struct gzc_deflater *d = new_deflater(level);
		cr_assert_str_neq(gzc_engine_name(level), "invalid");
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			unsigned char *out;
			long n = deflate_into(d, data, sizes[k], &out);
			zlib_raw_check(out, (size_t)n, data, sizes[k]);
			/* our own inflate agrees */
			unsigned char *back = malloc(sizes[k]);
			cr_assert_eq(gzc_inflate_span(out, (size_t)n, back, sizes[k]), 0);
			th_assert_bytes(back, data, sizes[k]);
			free(back);
			free(out);
		}
		gzc_deflater_free(d);
	}
	free(data);
}

Test(engine, spans_concatenate_into_one_stream)
{
	/* two spans back to back plus the final empty block form a valid raw stream */
	size_t a = 100000, b = 70001;
	unsigned char *data = alloc_mixed(a + b, 11);
	for (int level = GZC_LEVEL_MIN; level <= GZC_LEVEL_MAX; level += 4) {
		struct gzc_deflater *d = new_deflater(level);
		unsigned char *o1, *o2;
		long n1 = deflate_into(d, data, a, &o1);
		long n2 = deflate_into(d, data + a, b, &o2);
		size_t tot = (size_t)n1 + (size_t)n2 + 2;
		unsigned char *cat = malloc(tot);
		memcpy(cat, o1, (size_t)n1);
		memcpy(cat + n1, o2, (size_t)n2);
		cat[tot - 2] = GZC_FINAL_BLOCK_0;
		cat[tot - 1] = GZC_FINAL_BLOCK_1;
		z_stream zs;
		memset(&zs, 0, sizeof(zs));
		cr_assert_eq(inflateInit2(&zs, -15), Z_OK);
		unsigned char *out = malloc(a + b);
		zs.next_in = cat;
		zs.avail_in = (uInt)tot;
		zs.next_out = out;
		zs.avail_out = (uInt)(a + b);
		cr_assert_eq(inflate(&zs, Z_FINISH), Z_STREAM_END, "level %d", level);
		cr_assert_eq(zs.avail_in, 0u);
		th_assert_bytes(out, data, a + b);
		/* the second span decodes alone: no history from the first */
		unsigned char *back = malloc(b);
		cr_assert_eq(gzc_inflate_span(o2, (size_t)n2, back, b), 0);
		th_assert_bytes(back, data + a, b);
		inflateEnd(&zs);
		free(back);
		free(out);
		free(cat);
		free(o1);
		free(o2);
		gzc_deflater_free(d);
	}
	free(data);
}

Test(engine, incompressible_and_zero_spans_fit_the_bound)
{
	size_t len = 4u << 20;
	unsigned char *rnd = malloc(len);
	uint64_t s = 99;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = th_rand(&s);
		memcpy(rnd + i, &v, 8);
	}
	unsigned char *zeros = calloc(1, len);
	for (int level = GZC_LEVEL_MIN; level <= GZC_LEVEL_MAX; level += 2) {
		struct gzc_deflater *d = new_deflater(level);
		unsigned char *out;
		long n = deflate_into(d, rnd, len, &out);
		zlib_raw_check(out, (size_t)n, rnd, len);
		free(out);
		n = deflate_into(d, zeros, len, &out);
		cr_assert_lt(n, 64 * 1024, "zeros compressed to %ld bytes", n);
		zlib_raw_check(out, (size_t)n, zeros, len);
		free(out);
		gzc_deflater_free(d);
	}
	free(rnd);
	free(zeros);
}

Test(engine, bad_arguments)
{
	struct gzc_deflater *d = (void *)0x1;
	cr_assert_eq(gzc_deflater_new(0, &d), -EINVAL);
	cr_assert_eq(gzc_deflater_new(10, &d), -EINVAL);
	cr_assert_eq(gzc_deflater_new(-1, &d), -EINVAL);
	cr_assert_eq(d, (void *)0x1, "ret must be untouched on failure");
	gzc_deflater_free(NULL);

	d = new_deflater(6);
	unsigned char in[1000] = { 1, 2, 3 }, out[100];
	cr_assert_eq(gzc_deflate_span(d, in, sizeof(in), out, sizeof(out)), -ENOBUFS);
	gzc_deflater_free(d);
}

Test(engine, inflate_rejects_corrupt_and_short_input)
{
	size_t len = 200000;
	unsigned char *data = alloc_mixed(len, 3);
	struct gzc_deflater *d = new_deflater(6);
	unsigned char *out;
	long n = deflate_into(d, data, len, &out);
	unsigned char *back = malloc(len);
	/* truncated: cannot produce outlen bytes */
	cr_assert_eq(gzc_inflate_span(out, (size_t)n / 2, back, len), -EBADMSG);
	cr_assert_eq(gzc_inflate_span(out, 0, back, len), -EBADMSG);
	/* asking for more than the span holds */
	unsigned char *big = malloc(len + 10);
	cr_assert_eq(gzc_inflate_span(out, (size_t)n, big, len + 10), -EBADMSG);
	/* garbage: a reserved block type (BTYPE=11) right at the start */
	unsigned char junk[64];
	memset(junk, 0xff, sizeof(junk));
	cr_assert_eq(gzc_inflate_span(junk, sizeof(junk), back, 1000), -EBADMSG);
	/* zero-length output is trivially fine */
	cr_assert_eq(gzc_inflate_span(out, (size_t)n, back, 0), 0);
	free(big);
	free(back);
	free(out);
	free(data);
	gzc_deflater_free(d);
}

Test(engine, is_zero)
{
	unsigned char b[4096 + 64];
	memset(b, 0, sizeof(b));
	cr_assert_eq(gzc_is_zero(b, 0), 1);
	for (size_t len = 1; len <= 40; len++)
		cr_assert_eq(gzc_is_zero(b, len), 1);
	cr_assert_eq(gzc_is_zero(b, sizeof(b)), 1);
	/* a single non-zero byte anywhere, for many lengths and positions */
	size_t lens[] = { 1, 2, 15, 16, 17, 31, 32, 33, 4095, 4096, sizeof(b) };
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t len = lens[k];
		for (size_t pos = 0; pos < len; pos += (len > 64 ? 97 : 1)) {
			b[pos] = 0x80;
			cr_assert_eq(gzc_is_zero(b, len), 0, "len %zu, byte %zu set", len, pos);
			b[pos] = 0;
		}
		b[len - 1] = 1;
		cr_assert_eq(gzc_is_zero(b, len), 0, "len %zu, last byte set", len);
		b[len - 1] = 0;
		/* a byte just past len does not count */
		if (len < sizeof(b)) {
			b[len] = 1;
			cr_assert_eq(gzc_is_zero(b, len), 1);
			b[len] = 0;
		}
	}
}

Test(engine, checksums_match_zlib)
{
	size_t len = (3u << 20) + 13;
	unsigned char *data = alloc_mixed(len, 5);
	size_t cuts[] = { 0, 1, 7, 4096, 65535, 1u << 20, len };
	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		size_t n = cuts[k];
		cr_assert_eq(gzc_crc32(0, data, n), (uint32_t)crc32(0, data, (uInt)n), "crc32 over %zu", n);
		cr_assert_eq(gzc_adler32(1, data, n), (uint32_t)adler32(1, data, (uInt)n), "adler32 over %zu", n);
	}
	/* incremental use equals one call */
	uint32_t c = 0, a = 1;
	for (size_t off = 0; off < len; off += 99991) {
		size_t n = len - off < 99991 ? len - off : 99991;
		c = gzc_crc32(c, data + off, n);
		a = gzc_adler32(a, data + off, n);
	}
	cr_assert_eq(c, (uint32_t)crc32(0, data, (uInt)len));
	cr_assert_eq(a, (uint32_t)adler32(1, data, (uInt)len));
	/* known answers: CRC-32 and Adler-32 of "123456789" */
	cr_assert_eq(gzc_crc32(0, "123456789", 9), 0xcbf43926u);
	cr_assert_eq(gzc_adler32(1, "123456789", 9), 0x091e01deu);
	free(data);
}
