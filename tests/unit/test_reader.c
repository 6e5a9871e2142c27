/*
 * test_reader.c — unit tests of random access (src/reader.c).
 *
 * Reads are compared with the generated input byte for byte, at random
 * offsets, across span edges and past the end. A corrupted span must give
 * -EBADMSG for every read that touches it and correct bytes elsewhere. The
 * index on disk is only a cache: missing, stale or corrupt, it is rebuilt.
 */
#include "fmt_helpers.h"

#include <pthread.h>
#include <zlib.h>

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }
TestSuite(reader, .init = setup, .fini = teardown, .timeout = 120);

#define SPAN 65536u

/* Pseudo-random bytes from seed over p[0..len) (len a multiple of 8):
 * deflate stores them. */
static void fill_random(unsigned char *p, size_t len, uint64_t seed)
{
	uint64_t s = seed;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = th_rand(&s);
		memcpy(p + i, &v, 8);
	}
}

/* 10 spans and a tail; spans 2, 3 and 9 all zeros, span 5 pure random (stored). */
static unsigned char *make_data(size_t *ret_len)
{
	size_t len = 10 * (size_t)SPAN + 4321;
	unsigned char *d = alloc_mixed(len, 42);
	memset(d + 2 * SPAN, 0, 2 * SPAN);
	memset(d + 9 * SPAN, 0, SPAN);
	fill_random(d + 5 * SPAN, SPAN, 3);
	*ret_len = len;
	return d;
}

static void random_reads(struct gzc_reader *r, const unsigned char *data, size_t len, int count, uint64_t seed)
{
	unsigned char *buf = malloc(4 * SPAN + 16);
	uint64_t s = seed;
	for (int k = 0; k < count; k++) {
		uint64_t x = th_rand(&s);
		uint64_t off = x % (len + 100);
		size_t n = (size_t)((x >> 32) % (k % 4 == 0 ? 4 * SPAN : 5000));
		ssize_t got = gzc_reader_pread(r, buf, n, off);
		size_t want = off >= len ? 0 : (len - off < n ? (size_t)(len - off) : n);
		cr_assert_eq(got, (ssize_t)want, "pread(%zu at %llu) = %zd", n, (unsigned long long)off, got);
		if (want)
			th_assert_bytes(buf, data + off, want);
	}
	free(buf);
}

static void edge_reads(struct gzc_reader *r, const unsigned char *data, size_t len)
{
	unsigned char buf[64];
	for (uint64_t e = SPAN; e < len; e += SPAN)
		for (uint64_t off = e - 3; off <= e; off++) {
			ssize_t got = gzc_reader_pread(r, buf, 7, off);
			cr_assert_eq(got, 7);
			th_assert_bytes(buf, data + off, 7);
		}
	cr_assert_eq(gzc_reader_pread(r, buf, 10, len), 0, "at EOF");
	cr_assert_eq(gzc_reader_pread(r, buf, 10, len + 1000000), 0, "past EOF");
	cr_assert_eq(gzc_reader_pread(r, buf, 10, UINT64_MAX - 5), 0, "far past EOF");
	cr_assert_eq(gzc_reader_pread(r, buf, 64, len - 5), 5, "short at EOF");
	th_assert_bytes(buf, data + len - 5, 5);
	cr_assert_eq(gzc_reader_pread(r, buf, 0, 10), 0);
}

Test(reader, own_file_random_reads)
{
	size_t len;
	unsigned char *data = make_data(&len);
	uint32_t levels[] = { 1, 6, 9 };
	for (int k = 0; k < 3; k++) {
		for (int ct = 0; ct < 2; ct++) {
			char path[128];
			struct gzc_writer_opts o = { .span = SPAN, .level = (int)levels[k], .container = (enum gzc_container)ct };
			close(th_compress(dir, ct ? "c.zz" : "c.gz", data, len, &o, 5, NULL, path));
			struct gzc_reader *r = th_reader(path, NULL);
			cr_assert_eq(gzc_reader_size(r), len);
			random_reads(r, data, len, 400, (uint64_t)k * 10 + (uint64_t)ct + 1);
			edge_reads(r, data, len);
			/* one read of everything */
			unsigned char *all = malloc(len);
			cr_assert_eq(gzc_reader_pread(r, all, len, 0), (ssize_t)len);
			th_assert_bytes(all, data, len);
			free(all);
			gzc_reader_close(r);
		}
	}
	free(data);
}

/* A gzip file deflated by zlib with history across the whole stream: foreign. */
static void write_foreign(const char *path, const unsigned char *data, size_t len, int wbits)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&zs, (uLong)len);
	unsigned char *out = malloc(cap);
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_eq(gzc_write_all(fd, out, zs.total_out), 0);
	close(fd);
	deflateEnd(&zs);
	free(out);
}

Test(reader, foreign_file_random_reads)
{
	size_t len = (3u << 20) + 77;
	unsigned char *data = alloc_mixed(len, 43);
	char path[128];
	int wbits[] = { 31, 15 };
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "%s/foreign%d", dir, k);
		write_foreign(path, data, len, wbits[k]);
		struct gzc_reader *r = th_reader(path, NULL);
		cr_assert(gzc_reader_index(r)->flags & GZC_IDX_F_FOREIGN);
		cr_assert_eq(gzc_reader_size(r), len);
		random_reads(r, data, len, 200, 99 + (uint64_t)k);
		gzc_reader_close(r);
	}
	free(data);
}

Test(reader, zero_spans_and_seek)
{
	size_t len;
	unsigned char *data = make_data(&len);
	char path[128];
	struct gzc_writer_opts o = { .span = SPAN };
	close(th_compress(dir, "z.gz", data, len, &o, 0, NULL, path));
	struct gzc_cache *c = NULL;
	cr_assert_eq(gzc_cache_new(16u << 20, &c), 0);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .cache = c };
	struct gzc_reader *r = th_reader(path, &ro);
	const struct gzc_index *idx = gzc_reader_index(r);
	for (uint32_t i = 0; i < idx->nspans; i++)
		cr_assert_eq(!!(idx->spans[i].flags & GZC_SPAN_F_ZERO), i == 2 || i == 3 || i == 9, "span %u", i);

	/* reads inside zero spans never decode */
	unsigned char buf[1000];
	struct gzc_cache_stats st0, st1;
	gzc_cache_get_stats(c, &st0);
	cr_assert_eq(gzc_reader_pread(r, buf, sizeof(buf), 2 * SPAN + 500), (ssize_t)sizeof(buf));
	cr_assert(gzc_is_zero(buf, sizeof(buf)));
	cr_assert_eq(gzc_reader_pread(r, buf, sizeof(buf), 9 * SPAN + 7), (ssize_t)sizeof(buf));
	cr_assert(gzc_is_zero(buf, sizeof(buf)));
	gzc_cache_get_stats(c, &st1);
	cr_assert_eq(st1.misses, st0.misses, "a zero span was decoded");
	cr_assert_eq(st1.hits, st0.hits);

	/* data: [0,2S) [4S,9S) [10S,len); holes: [2S,4S) [9S,10S) */
	cr_assert_eq(gzc_reader_seek(r, 0, SEEK_DATA), 0);
	cr_assert_eq(gzc_reader_seek(r, 100, SEEK_DATA), 100);
	cr_assert_eq(gzc_reader_seek(r, 0, SEEK_HOLE), 2 * SPAN);
	cr_assert_eq(gzc_reader_seek(r, 2 * SPAN + 5, SEEK_HOLE), 2 * SPAN + 5);
	cr_assert_eq(gzc_reader_seek(r, 2 * SPAN + 5, SEEK_DATA), 4 * SPAN);
	cr_assert_eq(gzc_reader_seek(r, 4 * SPAN, SEEK_HOLE), 9 * SPAN);
	cr_assert_eq(gzc_reader_seek(r, 9 * SPAN, SEEK_DATA), 10 * SPAN);
	cr_assert_eq(gzc_reader_seek(r, 10 * SPAN + 1, SEEK_HOLE), (int64_t)len, "the end is a hole");
	cr_assert_eq(gzc_reader_seek(r, len, SEEK_DATA), -ENXIO);
	cr_assert_eq(gzc_reader_seek(r, len, SEEK_HOLE), -ENXIO);
	cr_assert_eq(gzc_reader_seek(r, 0, SEEK_SET), -EINVAL);
	gzc_reader_close(r);
	gzc_cache_free(c);

	/* a file ending in a zero span: no data after its start */
	memset(data + 10 * SPAN, 0, len - 10 * SPAN);
	close(th_compress(dir, "z2.gz", data, 10 * SPAN, &o, 0, NULL, path));
	r = th_reader(path, NULL);
	cr_assert_eq(gzc_reader_seek(r, 9 * SPAN, SEEK_DATA), -ENXIO);
	cr_assert_eq(gzc_reader_seek(r, 8 * SPAN, SEEK_HOLE), 9 * SPAN);
	gzc_reader_close(r);
	free(data);
}

/* Flips a bit of the byte at pos of the file open on fd. */
static void flip_byte(int fd, uint64_t pos)
{
	unsigned char c;
	cr_assert_eq(gzc_pread_all(fd, &c, 1, pos), 1);
	c ^= 0x10;
	cr_assert_eq(gzc_pwrite_all(fd, &c, 1, pos), 0);
}

/* Does the raw deflate data in[0..n) fail to decode to exactly want[0..len)
 * before its output is complete? (What any decoder must see: an error, or
 * other bytes; damage found only past the output, in the closing marker,
 * a decoder that stops at the span's length may never read.) */
static bool fails_before_output(const unsigned char *in, size_t n, const unsigned char *want, size_t len)
{
	unsigned char *out = malloc(len);
	z_stream zs = { 0 };
	cr_assert(out && inflateInit2(&zs, -15) == Z_OK);
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)len;
	(void)inflate(&zs, Z_SYNC_FLUSH); /* an error shows as output cut short */
	bool bad = zs.total_out < len || memcmp(out, want, zs.total_out) != 0;
	inflateEnd(&zs);
	free(out);
	return bad;
}

/* Where corrupt_span() damages its span: a byte in the middle; the first
 * byte from there whose change the span's decoding must see
 * (fails_before_output: a zero span's codes, lengths and distances over
 * zeros, can be damaged and still decode to zeros); or its first byte, the
 * block type made reserved (11), which the span before must not read. */
enum damage { MIDDLE, DETECTABLE, FIRST_BYTE };

/* Compresses, saves the writer's index beside the file, and corrupts span
 * `victim` as `how` says. Returns the corrupted file's path. */
static void corrupt_span(const unsigned char *data, size_t len, uint32_t victim, int level, enum damage how,
			 char *path, char *ipath)
{
	struct gzc_writer_opts o = { .span = SPAN, .level = level };
	struct gzc_index *idx = NULL;
	int fd = th_compress(dir, "bad.gz", data, len, &o, 0, &idx, path);
	uint64_t a = idx->spans[victim].coff, b = idx->spans[victim + 1].coff;
	cr_assert_gt(a, 4096u, "the corruption must not touch the fingerprinted head");
	uint64_t at = a + (b - a) / 2;
	if (how == FIRST_BYTE) {
		unsigned char c;
		cr_assert_eq(gzc_pread_all(fd, &c, 1, a), 1);
		c |= 0x06;
		cr_assert_eq(gzc_pwrite_all(fd, &c, 1, a), 0);
	} else if (how == DETECTABLE) {
		size_t n = (size_t)(b - a), ulen = (size_t)gzc_index_span_len(idx, victim);
		unsigned char *in = malloc(n);
		cr_assert_eq(gzc_pread_all(fd, in, n, a), (ssize_t)n);
		for (;; at++) {
			cr_assert_lt(at, b, "no byte of span %u whose damage shows", victim);
			in[at - a] ^= 0x10;
			if (fails_before_output(in, n, data + idx->spans[victim].uoff, ulen))
				break;
			in[at - a] ^= 0x10;
		}
		free(in);
	}
	if (how != FIRST_BYTE)
		flip_byte(fd, at);
	snprintf(ipath, 160, "%s.gzx", path);
	cr_assert_eq(gzc_index_save(idx, AT_FDCWD, ipath), 0);
	gzc_index_free(idx);
	close(fd);
}

static void check_corrupt_span(uint32_t victim, int level, enum damage how)
{
	size_t len;
	unsigned char *data = make_data(&len);
	char path[128], ipath[160];
	corrupt_span(data, len, victim, level, how, path, ipath);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath, .flags = GZC_READER_NO_SAVE };
	struct gzc_reader *r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_LOADED);
	unsigned char *buf = malloc(3 * SPAN);
	uint64_t v = (uint64_t)victim * SPAN;
	/* every read touching the span fails, whole or partial, cached or not */
	cr_assert_eq(gzc_reader_pread(r, buf, 100, v + 10), -EBADMSG);
	cr_assert_eq(gzc_reader_pread(r, buf, 100, v + 10), -EBADMSG, "a failed load is not cached");
	cr_assert_eq(gzc_reader_pread(r, buf, SPAN, v), -EBADMSG);
	cr_assert_eq(gzc_reader_pread(r, buf, 3 * SPAN, v - SPAN), -EBADMSG);
	cr_assert_eq(gzc_reader_pread(r, buf, 2, v + SPAN - 1), -EBADMSG);
	cr_assert_eq(gzc_reader_decode_span(r, victim, buf, SPAN), -EBADMSG);
	/* everything else reads right */
	for (uint32_t i = 0; i < gzc_reader_index(r)->nspans; i++) {
		if (i == victim)
			continue;
		uint64_t off = (uint64_t)i * SPAN;
		size_t n = len - off < SPAN ? len - off : SPAN;
		cr_assert_eq(gzc_reader_pread(r, buf, n, off), (ssize_t)n, "span %u", i);
		th_assert_bytes(buf, data + off, n);
		cr_assert_eq(gzc_reader_pread(r, buf, 50, off + 3), 50);
		th_assert_bytes(buf, data + off + 3, 50);
	}
	gzc_reader_close(r);
	free(buf);
	free(data);
}

Test(reader, corrupt_stored_span_is_ebadmsg) { check_corrupt_span(5, 1, MIDDLE); }
Test(reader, corrupt_compressed_span_is_ebadmsg) { check_corrupt_span(6, 6, MIDDLE); }
/* a span decodes from its own bytes alone: a broken first byte of the
 * next span costs it nothing */
Test(reader, corrupt_span_start_costs_that_span_alone) { check_corrupt_span(7, 6, FIRST_BYTE); }
/* a zero span is answered without decoding: its damage is found when the
 * index is loaded, and costs that span alone too (the first zero span is
 * decoded there, the next compared with it) */
Test(reader, corrupt_zero_span_is_ebadmsg) { check_corrupt_span(2, 1, DETECTABLE); }
Test(reader, corrupt_second_zero_span_is_ebadmsg) { check_corrupt_span(3, 1, DETECTABLE); }

/* Spans of 512 KiB of random bytes (stored), four check segments each: a
 * read that needs only the start of a span decodes and checks only the
 * segments up to the one it ends in. A byte flipped in span 0's segment 0
 * (past the fingerprinted head, so the index on disk still matches) fails
 * every read of span 0, partial or whole; one flipped in span 2's segment 2
 * fails the reads that reach it, while a read of span 2's first segment,
 * which never decodes the damage, gives the right bytes. */
Test(reader, corrupt_segment_fails_partial_reads)
{
	const size_t span = 512u << 10, len = 3 * span;
	unsigned char *data = malloc(len), *buf = malloc(span);
	cr_assert(data && buf);
	fill_random(data, len, 17);
	char path[128], ipath[160];
	struct gzc_writer_opts o = { .span = (uint32_t)span };
	struct gzc_index *idx = NULL;
	int fd = th_compress(dir, "seg.gz", data, len, &o, 0, &idx, path);
	cr_assert_eq(idx->nspans, 3u);
	cr_assert_eq(idx->seg_size, GZC_SEG_SIZE);
	cr_assert_eq(gzc_index_span_nsegs(idx, 0), 4u);
	cr_assert_geq(idx->spans[1].coff - idx->spans[0].coff, span, "span 0 is not stored");
	cr_assert_geq(idx->spans[0].coff + 8192, GZC_IDX_PROBE_LEN);
	flip_byte(fd, idx->spans[0].coff + 8192);            /* span 0, segment 0 */
	flip_byte(fd, idx->spans[2].coff + 2 * GZC_SEG_SIZE + 5000); /* span 2, segment 2 */
	close(fd);
	snprintf(ipath, sizeof(ipath), "%s.gzx", path);
	cr_assert_eq(gzc_index_save(idx, AT_FDCWD, ipath), 0);
	gzc_index_free(idx);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath, .flags = GZC_READER_NO_SAVE };
	struct gzc_reader *r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_LOADED);

	/* span 0: from its start (whole CRC), inside segment 0, past it, whole */
	cr_assert_eq(gzc_reader_pread(r, buf, 100, 0), -EBADMSG);
	cr_assert_eq(gzc_reader_pread(r, buf, 100, 10), -EBADMSG);
	cr_assert_eq(gzc_reader_pread(r, buf, 100, 10), -EBADMSG, "a failed load is not cached");
	cr_assert_eq(gzc_reader_pread(r, buf, 100, 3 * GZC_SEG_SIZE + 7), -EBADMSG);
	cr_assert_eq(gzc_reader_pread(r, buf, span, 0), -EBADMSG);
	/* span 1 is whole */
	cr_assert_eq(gzc_reader_pread(r, buf, 100, span + 10), 100);
	th_assert_bytes(buf, data + span + 10, 100);
	cr_assert_eq(gzc_reader_pread(r, buf, span, span), (ssize_t)span);
	th_assert_bytes(buf, data + span, span);
	/* span 2: segments 0 and 1 read right, segment 2 on fails */
	uint64_t s2 = 2 * (uint64_t)span;
	cr_assert_eq(gzc_reader_pread(r, buf, 100, s2 + 10), 100);
	th_assert_bytes(buf, data + s2 + 10, 100);
	cr_assert_eq(gzc_reader_pread(r, buf, 100, s2 + GZC_SEG_SIZE + 10), 100);
	th_assert_bytes(buf, data + s2 + GZC_SEG_SIZE + 10, 100);
	cr_assert_eq(gzc_reader_pread(r, buf, 100, s2 + 2 * GZC_SEG_SIZE + 10), -EBADMSG);
	cr_assert_eq(gzc_reader_pread(r, buf, 100, s2 + 3 * GZC_SEG_SIZE + 10), -EBADMSG);
	cr_assert_eq(gzc_reader_pread(r, buf, 100, s2 + 10), 100, "the good prefix is still served");
	th_assert_bytes(buf, data + s2 + 10, 100);
	cr_assert_eq(gzc_reader_pread(r, buf, span, s2), -EBADMSG);
	cr_assert_eq(gzc_reader_decode_span(r, 2, buf, span), -EBADMSG);
	gzc_reader_close(r);
	free(buf);
	free(data);
}

Test(reader, index_file_missing_stale_corrupt)
{
	size_t len;
	unsigned char *data = make_data(&len);
	char path[128], ipath[160], other[128];
	struct gzc_writer_opts o = { .span = SPAN };
	close(th_compress(dir, "i.gz", data, len, &o, 0, NULL, path));
	snprintf(ipath, sizeof(ipath), "%s.gzx", path);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath };

	/* missing: scanned and saved */
	struct gzc_reader *r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT);
	random_reads(r, data, len, 50, 1);
	gzc_reader_close(r);
	cr_assert_eq(access(ipath, F_OK), 0, "the index was not saved");
	/* present and matching: loaded */
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_LOADED);
	random_reads(r, data, len, 50, 2);
	gzc_reader_close(r);

	/* stale: the index of another file */
	unsigned char *data2 = alloc_mixed(len, 77);
	struct gzc_index *idx2 = NULL;
	close(th_compress(dir, "other.gz", data2, len, &o, 0, &idx2, other));
	cr_assert_eq(gzc_index_save(idx2, AT_FDCWD, ipath), 0);
	gzc_index_free(idx2);
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT, "a stale index was used");
	random_reads(r, data, len, 50, 3);
	gzc_reader_close(r);

	/* corrupt: flip a byte in the saved index */
	int fd = open(ipath, O_RDWR);
	unsigned char b;
	cr_assert_eq(gzc_pread_all(fd, &b, 1, 70), 1);
	b ^= 1;
	cr_assert_eq(gzc_pwrite_all(fd, &b, 1, 70), 0);
	close(fd);
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT);
	random_reads(r, data, len, 50, 4);
	gzc_reader_close(r);

	/* garbage instead of an index, and NO_SAVE leaves it alone */
	fd = open(ipath, O_WRONLY | O_TRUNC);
	cr_assert_eq(gzc_write_all(fd, "junk", 4), 0);
	close(fd);
	ro.flags = GZC_READER_NO_SAVE;
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT_UNSAVED);
	random_reads(r, data, len, 50, 5);
	gzc_reader_close(r);
	struct stat st;
	cr_assert_eq(stat(ipath, &st), 0);
	cr_assert_eq(st.st_size, 4);

	/* NO_LOAD ignores a valid index: made (the garbage replaced) and shown
	 * valid first */
	ro.flags = 0;
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT);
	gzc_reader_close(r);
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_LOADED, "the index is valid");
	gzc_reader_close(r);
	ro.flags = GZC_READER_NO_LOAD;
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT, "NO_LOAD loaded the index");
	gzc_reader_close(r);
	free(data2);
	free(data);
}

/* A gzip member of stored blocks (its size depends only on the length),
 * then 8 KiB of trailing bytes that gzip ignores: the fingerprint's tail. */
static void write_stored_gzip(const char *path, const unsigned char *data, size_t len, int garbage)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	th_append_deflated(fd, data, len, Z_NO_COMPRESSION, 31);
	if (garbage) {
		unsigned char junk[8192];
		memset(junk, 0x5a, sizeof(junk));
		cr_assert_eq(gzc_write_all(fd, junk, sizeof(junk)), 0);
	}
	close(fd);
}

/* An index that still matches the file's size, head and tail, while the
 * file changed in the middle, must not make a changed zero span read as
 * zeros: zero spans are checked when an index is loaded. */
Test(reader, loaded_index_zero_spans_are_checked)
{
	size_t len = 5u << 20;
	unsigned char *data = alloc_mixed(len, 88);
	memset(data + (1u << 20), 0, 3u << 20);
	char path[128], ipath[160];
	snprintf(path, sizeof(path), "%s/stored.gz", dir);
	snprintf(ipath, sizeof(ipath), "%s.gzx", path);
	write_stored_gzip(path, data, len, 1);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath };
	struct gzc_reader *r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT);
	int zeros = 0;
	for (uint32_t i = 0; i < gzc_reader_index(r)->nspans; i++)
		zeros += !!(gzc_reader_index(r)->spans[i].flags & GZC_SPAN_F_ZERO);
	cr_assert_geq(zeros, 1, "the test needs a zero span");
	gzc_reader_close(r);
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_LOADED, "an unchanged file keeps its index");
	gzc_reader_close(r);

	/* the same size, head and tail; 16 bytes in the zeros are not zero now */
	memset(data + (5u << 19), 0x77, 16);
	write_stored_gzip(path, data, len, 1);
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT, "an index calling data zeros was used");
	random_reads(r, data, len, 40, 9);
	unsigned char buf[32];
	cr_assert_eq(gzc_reader_pread(r, buf, 32, (5u << 19) - 8), 32);
	th_assert_bytes(buf, data + (5u << 19) - 8, 32);
	gzc_reader_close(r);

	/* one member that ends the file: its trailer, in the fingerprint, vouches */
	unlink(ipath);
	write_stored_gzip(path, data, len, 0);
	r = th_reader(path, &ro);
	gzc_reader_close(r);
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_LOADED);
	random_reads(r, data, len, 20, 11);
	gzc_reader_close(r);
	/* ...but not for an index whose span CRCs do not add up to it: span 0
	 * (data) flagged zero, with the CRC of zeros */
	struct gzc_index *good, *forged;
	cr_assert_eq(gzc_index_load(AT_FDCWD, ipath, &good), 0);
	forged = th_index_zeroing(good, 0);
	cr_assert_eq(gzc_index_save(forged, AT_FDCWD, ipath), 0);
	gzc_index_free(forged);
	gzc_index_free(good);
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT, "a data span flagged zero passed on the trailer");
	random_reads(r, data, len, 20, 12);
	gzc_reader_close(r);

	/* our own file whose valid index flags a data span as zero */
	size_t olen;
	unsigned char *odata = make_data(&olen);
	struct gzc_writer_opts o = { .span = SPAN };
	struct gzc_index *idx = NULL;
	close(th_compress(dir, "own.gz", odata, olen, &o, 0, &idx, path));
	snprintf(ipath, sizeof(ipath), "%s.gzx", path);
	cr_assert_eq(idx->spans[2].flags & GZC_SPAN_F_ZERO, GZC_SPAN_F_ZERO);
	cr_assert_eq(idx->spans[4].flags & GZC_SPAN_F_ZERO, 0);
	cr_assert_eq(gzc_index_save(idx, AT_FDCWD, ipath), 0);
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_LOADED, "zero spans that are zeros pass the check");
	gzc_reader_close(r);
	forged = th_index_zeroing(idx, 4);
	cr_assert_eq(gzc_index_save(forged, AT_FDCWD, ipath), 0);
	gzc_index_free(forged);
	gzc_index_free(idx);
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT, "a data span flagged zero was trusted");
	random_reads(r, odata, olen, 40, 10);
	gzc_reader_close(r);
	free(odata);
	free(data);
}

/* Our own file of make_data()'s bytes, in path; its writer's index in
 * *ret_idx, to be saved at ipath (the reader's index_path in *ro). */
static unsigned char *own_file(enum gzc_container container, const char *name, size_t *len,
			       struct gzc_index **ret_idx, char path[128], char ipath[160], struct gzc_reader_opts *ro)
{
	unsigned char *data = make_data(len);
	struct gzc_writer_opts o = { .span = SPAN, .container = container };
	close(th_compress(dir, name, data, *len, &o, 0, ret_idx, path));
	snprintf(ipath, 160, "%s.gzx", path);
	*ro = (struct gzc_reader_opts){ .index_dirfd = AT_FDCWD, .index_path = ipath };
	return data;
}

/* An index file is as untrusted as the store: one with a valid CRC that
 * says our file holds more (or fewer) bytes than it does is not used (a
 * gzip file's trailer says so, a zlib file's last span does), so st_size
 * through the mount is never made up. */
static void check_index_size_lie(enum gzc_container container, const char *name)
{
	size_t len;
	char path[128], ipath[160];
	struct gzc_index *idx = NULL;
	struct gzc_reader_opts ro;
	unsigned char *data = own_file(container, name, &len, &idx, path, ipath, &ro);
	cr_assert_eq(gzc_index_save(idx, AT_FDCWD, ipath), 0);
	struct gzc_reader *r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_LOADED, "a true index was not used");
	gzc_reader_close(r);
	for (int k = 0; k < 2; k++) {
		uint64_t usize = idx->usize;
		idx->usize = k ? usize + 256 : usize - 100; /* the last span grows or shrinks */
		cr_assert_eq(gzc_index_save(idx, AT_FDCWD, ipath), 0);
		idx->usize = usize;
		r = th_reader(path, &ro);
		cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT, "an index with a wrong size was used");
		cr_assert_eq(gzc_reader_size(r), len);
		random_reads(r, data, len, 20, 20 + k);
		gzc_reader_close(r);
	}
	gzc_index_free(idx);
	free(data);
}

Test(reader, loaded_index_size_must_be_the_files_gzip) { check_index_size_lie(GZC_GZIP, "sized.gz"); }
Test(reader, loaded_index_size_must_be_the_files_zlib) { check_index_size_lie(GZC_ZLIB, "sized.zz"); }

/* An index whose flags say several members, or the other container, would
 * skip the trailer's check: with a valid CRC it could then give our file
 * another size. The container and the member count are the file's to say. */
static void check_index_without_last_span(enum gzc_container container, const char *name, const uint32_t *lies,
					  size_t nlies)
{
	size_t len;
	char path[128], ipath[160];
	struct gzc_index *idx = NULL;
	struct gzc_reader_opts ro;
	unsigned char *data = own_file(container, name, &len, &idx, path, ipath, &ro);
	cr_assert_gt(idx->nspans, 2);
	for (size_t k = 0; k < nlies; k++) {
		/* without its last span (and that span's segment CRCs), the index
		 * is well formed and every span it keeps is right */
		uint64_t usize = idx->usize, nseg = idx->nseg;
		uint32_t n = idx->nspans;
		idx->flags |= lies[k];
		idx->nspans = n - 1;
		idx->usize = idx->spans[n - 1].uoff;
		idx->nseg = idx->spans[n - 1].seg0;
		idx->data_crc = gzc_index_combined_crc(idx);
		cr_assert_eq(gzc_index_save(idx, AT_FDCWD, ipath), 0);
		idx->flags &= ~lies[k];
		idx->nspans = n;
		idx->usize = usize;
		idx->nseg = nseg;
		idx->data_crc = gzc_index_combined_crc(idx);
		struct gzc_reader *r = th_reader(path, &ro);
		cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT, "flags 0x%x: the short index was used", lies[k]);
		cr_assert_eq(gzc_reader_size(r), len);
		gzc_reader_close(r);
	}
	gzc_index_free(idx);
	free(data);
}

Test(reader, loaded_index_flags_must_be_the_files)
{
	static const uint32_t lies[] = { GZC_IDX_F_MULTIMEMBER, GZC_IDX_F_ZLIB, GZC_IDX_F_FOREIGN,
					 GZC_IDX_F_FOREIGN | GZC_IDX_F_MULTIMEMBER };
	check_index_without_last_span(GZC_GZIP, "flags.gz", lies, 4);
}

/* Our zlib file's Adler-32 cannot hold the index to its size: its last
 * span must end the stream, also when the index calls the file foreign. */
Test(reader, loaded_index_of_zlib_must_reach_the_end)
{
	static const uint32_t truth[] = { 0, GZC_IDX_F_FOREIGN };
	check_index_without_last_span(GZC_ZLIB, "short.zz", truth, 2);
}

static enum gzc_index_origin open_with_index(const char *path, const char *ipath, const struct gzc_index *idx,
					     const unsigned char *data, size_t len);

/* Another tool's gzip file whose trailer agrees with its index has its zero
 * spans checked at their first use, not at open (each would cost a decode):
 * an index that flags a data span zero, its CRC the true one, is still used,
 * and that span reads as data, never as zeros, and is no hole. */
Test(reader, foreign_zero_span_checked_at_first_use)
{
	size_t len = 26u << 20; /* zlib's blocks of zeros are long: 24 MiB hold whole spans */
	unsigned char *data = calloc(1, len);
	cr_assert_not_null(data);
	fill_random(data, 1u << 20, 5);
	fill_random(data + len - (1u << 20), 1u << 20, 6);
	char path[128], ipath[160];
	snprintf(path, sizeof(path), "%s/lazy.gz", dir);
	snprintf(ipath, sizeof(ipath), "%s.gzx", path);
	write_foreign(path, data, len, 31);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath };
	struct gzc_reader *r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT);
	const struct gzc_index *idx = gzc_reader_index(r);
	uint32_t zi = 0;
	while (zi + 1 < idx->nspans && !(idx->spans[zi].flags & GZC_SPAN_F_ZERO))
		zi++;
	cr_assert(idx->spans[zi].flags & GZC_SPAN_F_ZERO, "no zero span");
	uint64_t hole = idx->spans[zi].uoff, dlen = gzc_index_span_len(idx, 0);
	struct gzc_index *forged = th_index_flag_zero(idx, 0, 1);
	gzc_reader_close(r);
	cr_assert_eq(gzc_index_combined_crc(forged), forged->data_crc);
	cr_assert_eq(gzc_index_save(forged, AT_FDCWD, ipath), 0);
	ro.flags = GZC_READER_NO_SAVE;
	r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_LOADED, "the index was checked whole at open");
	cr_assert_eq(gzc_reader_seek(r, 0, SEEK_HOLE), (int64_t)hole, "the span flagged zero is a hole");
	cr_assert_eq(gzc_reader_seek(r, 0, SEEK_DATA), 0);
	unsigned char *buf = malloc(dlen);
	cr_assert_eq(gzc_reader_pread(r, buf, dlen, 0), (ssize_t)dlen);
	th_assert_bytes(buf, data, dlen);
	cr_assert_eq(gzc_reader_pread(r, buf, 4096, hole + 8192), 4096);
	th_assert_bytes(buf, data + hole + 8192, 4096);
	free(buf);
	gzc_reader_close(r);
	gzc_index_free(forged);
	free(data);
}

/* Another tool's file: an index (valid CRC and fingerprint) that leaves
 * out spans at the end, or all of them, gives no other size; one that
 * flags a data span zero with its true CRC (the trailer still agrees) never
 * has that span answered as zeros. */
Test(reader, loaded_foreign_index_is_held_to_the_file)
{
	size_t len = (3u << 20) + 77;
	unsigned char *data = alloc_mixed(len, 47);
	char path[128], ipath[160];
	int wbits[] = { 31, 15 };
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "%s/held%d", dir, k);
		snprintf(ipath, sizeof(ipath), "%s.gzx", path);
		write_foreign(path, data, len, wbits[k]);
		struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath };
		struct gzc_reader *r = th_reader(path, &ro);
		cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT);
		gzc_reader_close(r);
		struct gzc_index *idx = NULL;
		int fd = open(path, O_RDONLY);
		cr_assert_geq(fd, 0);
		cr_assert_eq(gzc_index_load_for(AT_FDCWD, ipath, fd, &idx), 0);
		close(fd);
		cr_assert_gt(idx->nspans, 2);
		cr_assert_eq(open_with_index(path, ipath, idx, data, len), GZC_INDEX_LOADED, "the true index was not used");
		/* a data span flagged zero, its CRC the true one */
		uint32_t zi = 1;
		while (zi < idx->nspans && gzc_is_zero(data + idx->spans[zi].uoff, gzc_index_span_len(idx, zi)))
			zi++;
		cr_assert_lt(zi, idx->nspans);
		struct gzc_index *forged = th_index_flag_zero(idx, zi, 1);
		cr_assert_eq(gzc_index_combined_crc(forged), forged->data_crc);
		open_with_index(path, ipath, forged, data, len); /* every byte right, whatever it did */
		gzc_index_free(forged);
		/* spans left out at the end, then every span */
		uint64_t usize = idx->usize, nseg = idx->nseg;
		uint32_t n = idx->nspans;
		uint32_t keep[] = { n - 1, 0 };
		for (int j = 0; j < 2; j++) {
			idx->nspans = keep[j];
			idx->usize = keep[j] ? idx->spans[keep[j]].uoff : 0;
			idx->nseg = keep[j] ? idx->spans[keep[j]].seg0 : 0;
			uint32_t crc = idx->data_crc;
			idx->data_crc = gzc_index_combined_crc(idx);
			cr_assert_neq(open_with_index(path, ipath, idx, data, len), GZC_INDEX_LOADED,
				      "wbits %d: an index of %u spans was used", wbits[k], keep[j]);
			idx->nspans = n;
			idx->usize = usize;
			idx->nseg = nseg;
			idx->data_crc = crc;
		}
		gzc_index_free(idx);
	}
	free(data);
}

/* Saves idx at ipath, opens path with it (never saving), checks that every
 * byte reads right and returns what the reader did about the index. */
static enum gzc_index_origin open_with_index(const char *path, const char *ipath, const struct gzc_index *idx,
					     const unsigned char *data, size_t len)
{
	cr_assert_eq(gzc_index_save(idx, AT_FDCWD, ipath), 0);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath, .flags = GZC_READER_NO_SAVE };
	struct gzc_reader *r = th_reader(path, &ro);
	enum gzc_index_origin origin = gzc_reader_index_origin(r);
	cr_assert_eq(gzc_reader_size(r), len);
	unsigned char *all = malloc(len);
	cr_assert_eq(gzc_reader_pread(r, all, len, 0), (ssize_t)len);
	th_assert_bytes(all, data, len);
	free(all);
	gzc_reader_close(r);
	return origin;
}

/* Our own file of len random bytes (stored spans of SPAN) in container,
 * with the writer's index in *ret_idx and its path beside it in ipath. */
static unsigned char *random_own_file(enum gzc_container container, const char *name, size_t len,
				      struct gzc_index **ret_idx, char path[128], char ipath[160])
{
	unsigned char *data = malloc(len);
	cr_assert_not_null(data);
	fill_random(data, len, 23);
	struct gzc_writer_opts o = { .span = SPAN, .container = container };
	close(th_compress(dir, name, data, len, &o, 0, ret_idx, path));
	snprintf(ipath, 160, "%s.gzx", path);
	return data;
}

/* The last span of our zlib file is held to the end of the stream, and
 * only a span of ours can be: an index (valid CRC and fingerprint) whose
 * last span starts inside a byte, needs a window, or starts so far back
 * that its compressed bytes are far more than its length could take, is
 * not used. */
Test(reader, loaded_index_of_zlib_last_span_must_be_plain)
{
	size_t len = 3 * SPAN + 5000;
	char path[128], ipath[160];
	struct gzc_index *idx = NULL;
	unsigned char *data = random_own_file(GZC_ZLIB, "last.zz", len, &idx, path, ipath);
	cr_assert_eq(idx->nspans, 4u);
	struct gzc_span *last = &idx->spans[3], keep = *last;
	cr_assert_eq(open_with_index(path, ipath, idx, data, len), GZC_INDEX_LOADED, "the true index was not used");

	last->bits = 3;
	cr_assert_neq(open_with_index(path, ipath, idx, data, len), GZC_INDEX_LOADED, "a last span with bits was used");
	*last = keep;

	unsigned char window[16] = { 1, 2, 3 };
	idx->windows = window;
	idx->wsize = sizeof(window);
	last->wlen = sizeof(window);
	cr_assert_neq(open_with_index(path, ipath, idx, data, len), GZC_INDEX_LOADED, "a last span with a window was used");
	idx->windows = NULL;
	idx->wsize = 0;
	*last = keep;

	/* starting one byte after span 2: 64 KiB of compressed bytes for 5000 */
	last->coff = idx->spans[2].coff + 1;
	cr_assert_neq(open_with_index(path, ipath, idx, data, len), GZC_INDEX_LOADED, "an absurd last span was used");
	*last = keep;
	gzc_index_free(idx);
	free(data);
}

/* A span flagged zero whose CRC is its true data's (so the CRCs still add
 * up to the trailer's) is decoded when the index is loaded: not all zeros,
 * and since the trailer vouches for the index, that span is read as data
 * from then on (never answered as zeros). */
Test(reader, loaded_index_zero_span_must_be_zeros)
{
	size_t len = 3 * SPAN + 5000;
	char path[128], ipath[160];
	struct gzc_index *idx = NULL;
	unsigned char *data = random_own_file(GZC_GZIP, "zcrc.gz", len, &idx, path, ipath);
	struct gzc_index *forged = th_index_flag_zero(idx, 1, 1);
	cr_assert_eq(forged->spans[1].crc, idx->spans[1].crc);
	cr_assert_eq(gzc_index_combined_crc(forged), forged->data_crc, "the forgery must pass the trailer's check");
	cr_assert_eq(open_with_index(path, ipath, idx, data, len), GZC_INDEX_LOADED, "the true index was not used");
	/* the trailer vouches for the forgery's CRCs: the span flagged zero is
	 * read as data (open_with_index checks every byte), never as zeros */
	cr_assert_eq(open_with_index(path, ipath, forged, data, len), GZC_INDEX_LOADED);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath, .flags = GZC_READER_NO_SAVE };
	struct gzc_reader *r = th_reader(path, &ro);
	cr_assert_eq(gzc_reader_index(r)->spans[1].flags & GZC_SPAN_F_ZERO, 0, "span 1 still answered as zeros");
	gzc_reader_close(r);
	gzc_index_free(forged);
	gzc_index_free(idx);
	free(data);
}

/* Our file followed by another tool's member (cat ours.gz theirs.gz), whose
 * flush points refer back across them: still read right (its checkpoints
 * get windows); and ours with bytes after it keeps the index it was given. */
Test(reader, own_file_then_foreign_member_or_padding)
{
	size_t alen = 4 * SPAN, blen = 3 * SPAN + 777;
	unsigned char *data = alloc_mixed(alen + blen, 91);
	for (size_t i = alen; i < alen + blen; i++) /* back-references everywhere */
		data[i] = data[alen + (i - alen) % 5000];
	char path[128], ipath[160];
	struct gzc_writer_opts o = { .span = SPAN };
	int fd = th_compress(dir, "cat.gz", data, alen, &o, 0, NULL, path);
	/* the other member: sync flushes (byte-aligned, history kept) every 16 KiB, as pigz makes */
	z_stream zs = { 0 };
	cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&zs, blen) + 64 * (blen / 16384 + 1), out = 0;
	unsigned char *c = malloc(cap);
	for (size_t at = 0; at < blen; at += 16384) {
		size_t n = blen - at < 16384 ? blen - at : 16384;
		zs.next_in = data + alen + at;
		zs.avail_in = (uInt)n;
		zs.next_out = c + out;
		zs.avail_out = (uInt)(cap - out);
		cr_assert_neq(deflate(&zs, at + n == blen ? Z_FINISH : Z_SYNC_FLUSH), Z_STREAM_ERROR);
		out = cap - zs.avail_out;
	}
	deflateEnd(&zs);
	cr_assert_eq(gzc_pwrite_all(fd, c, out, (uint64_t)lseek(fd, 0, SEEK_END)), 0);
	close(fd);
	free(c);
	snprintf(ipath, sizeof(ipath), "%s.gzx", path);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath };
	for (int k = 0; k < 2; k++) {
		struct gzc_reader *r = th_reader(path, &ro);
		cr_assert_eq(gzc_reader_index_origin(r), k ? GZC_INDEX_LOADED : GZC_INDEX_BUILT);
		cr_assert_eq(gzc_reader_size(r), alen + blen);
		unsigned char *got = malloc(alen + blen);
		cr_assert_eq(gzc_reader_pread(r, got, alen + blen, 0), (ssize_t)(alen + blen));
		th_assert_bytes(got, data, alen + blen);
		free(got);
		random_reads(r, data, alen + blen, 30, 92 + k);
		gzc_reader_close(r);
	}

	/* ours, then 4 KiB of zeros (padding, ignored as gzip does): the index
	 * saved at the first open is used at the next */
	fd = th_compress(dir, "pad.gz", data, alen, &o, 0, NULL, path);
	unsigned char pad[4096] = { 0 };
	cr_assert_eq(gzc_pwrite_all(fd, pad, sizeof(pad), (uint64_t)lseek(fd, 0, SEEK_END)), 0);
	close(fd);
	snprintf(ipath, sizeof(ipath), "%s.gzx", path);
	for (int k = 0; k < 2; k++) {
		struct gzc_reader *r = th_reader(path, &ro);
		cr_assert_eq(gzc_reader_index_origin(r), k ? GZC_INDEX_LOADED : GZC_INDEX_BUILT,
			     "open %d: the index of a padded file was not kept", k);
		cr_assert_eq(gzc_reader_size(r), alen);
		random_reads(r, data, alen, 20, 94 + k);
		gzc_reader_close(r);
	}
	free(data);
}

Test(reader, open_errors_leave_fd_to_caller)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/junk", dir);
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	cr_assert_eq(gzc_write_all(fd, "not gzip at all", 15), 0);
	struct gzc_reader *r = (void *)0x1;
	struct gzc_scan_error err = { 0 };
	cr_assert_eq(gzc_reader_open(fd, NULL, &r, &err), -EBADMSG);
	cr_assert_eq(r, (void *)0x1);
	cr_assert_not_null(err.what);
	cr_assert_eq(fcntl(fd, F_GETFD) >= 0, 1, "the caller's fd was closed on failure");
	close(fd);
	gzc_reader_close(NULL);
}

/* Many threads want bytes of one span at the same moment. */
struct racer {
	struct gzc_reader *r;
	pthread_barrier_t *bar;
	uint64_t off;
	size_t n;
	unsigned char *buf;
	ssize_t got;
};

static void *race(void *arg)
{
	struct racer *x = arg;
	pthread_barrier_wait(x->bar);
	x->got = gzc_reader_pread(x->r, x->buf, x->n, x->off);
	return NULL;
}

Test(reader, many_threads_one_span_one_decode)
{
	enum { THREADS = 16 };
	size_t len = 4u << 20;
	unsigned char *data = alloc_mixed(len, 44);
	char path[128];
	/* big spans so a decode takes long enough for the threads to collide */
	struct gzc_writer_opts o = { .span = 4u << 20, .level = 9 };
	close(th_compress(dir, "m.gz", data, len, &o, 0, NULL, path));
	struct gzc_cache *c = NULL;
	cr_assert_eq(gzc_cache_new(64u << 20, &c), 0);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .cache = c };
	struct gzc_reader *r = th_reader(path, &ro);
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, THREADS);
	struct racer x[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		/* the same last 4 KiB of the span for all: with prefix decoding a
		 * thread that came late wanting a later part could decode again */
		x[i] = (struct racer){ .r = r, .bar = &bar, .off = len - 4096, .n = 4096 };
		x[i].buf = malloc(x[i].n);
		cr_assert_eq(pthread_create(&t[i], NULL, race, &x[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++) {
		cr_assert_eq(x[i].got, (ssize_t)x[i].n, "thread %d", i);
		th_assert_bytes(x[i].buf, data + x[i].off, x[i].n);
		free(x[i].buf);
	}
	struct gzc_cache_stats st;
	gzc_cache_get_stats(c, &st);
	cr_assert_eq(st.misses, 1u, "%llu decodes of one span", (unsigned long long)st.misses);
	cr_assert_eq(st.hits + st.waits + st.misses, (uint64_t)THREADS);
	pthread_barrier_destroy(&bar);
	gzc_reader_close(r);
	gzc_cache_free(c);
	free(data);
}

/*
 * Many threads read through one small shared cache while another opens and
 * closes readers of the same files on it: every byte must stay right, and
 * under ThreadSanitizer (make tsan) every access to the cache's shared state
 * must be ordered. What runs at once: prefix decodes of our spans and their
 * in-place extensions (resume states), threads waiting on a load that a
 * longer need of theirs makes go on (gzc_cache_wanted), evictions (the cache
 * holds a few spans), a foreign file's zero spans checked at their first
 * use by whichever threads meet there, SEEK_DATA/SEEK_HOLE, and
 * gzc_cache_drop_file from readers closing. The counts are fixed, not a
 * time: each thread's reads come from its own seed, only their interleaving
 * varies. Half of the reads fall in the first few spans of a file, so
 * threads meet on a span while it loads.
 */
#define STRESS_SPAN    (256u * 1024) /* two check segments: prefixes, extensions */
#define STRESS_READS   150           /* per reader thread, 1 in 16 a seek */
#define STRESS_OPENS   24            /* readers opened and closed meanwhile */
#define STRESS_MAXREAD (1u << 20)
enum { STRESS_THREADS = 5 };

struct stress_file {
	char path[128], ipath[160];
	unsigned char *data;
	size_t len;
	uint64_t hot;          /* half the reads fall in [0, hot) */
	struct gzc_reader *r;  /* shared by the reader threads */
};

/* One thread's work. Threads never assert: they count what went wrong and
 * keep the first, and the test thread asserts after joining them. */
struct stress_thread {
	struct stress_file *f; /* the two files */
	struct gzc_cache *c;
	uint64_t seed;
	int opens, bad;
	char first[256];
};

/* What SEEK_DATA (want_zero 0) or SEEK_HOLE (1) at off < size must give:
 * every span flagged zero in these files is zeros, so its flag says. */
static int64_t stress_expect_seek(const struct gzc_index *idx, uint64_t off, int want_zero)
{
	for (uint32_t i = gzc_index_find(idx, off); i < idx->nspans; i++)
		if (!!(idx->spans[i].flags & GZC_SPAN_F_ZERO) == want_zero)
			return (int64_t)(idx->spans[i].uoff > off ? idx->spans[i].uoff : off);
	return want_zero ? (int64_t)idx->usize : -ENXIO;
}

static void stress_bad(struct stress_thread *t, const char *what, const struct stress_file *f, uint64_t off,
		       size_t n, long got)
{
	if (!t->bad++)
		snprintf(t->first, sizeof(t->first), "%s of %s: %zu at %llu gave %ld", what, f->path, n,
			 (unsigned long long)off, got);
}

/* A random read of f through r, compared with the original: from a byte to
 * 1 MiB, some from a multiple of 256 KiB (a span's start in our file: they
 * load the whole span), half in the hot start. */
static void stress_read(struct stress_thread *t, struct gzc_reader *r, const struct stress_file *f,
			unsigned char *buf, uint64_t *s)
{
	uint64_t range = th_rand(s) & 1 ? f->hot : f->len;
	uint64_t off = th_rand(s) % range;
	size_t n;
	switch (th_rand(s) % 4) {
	case 0: n = 1 + (size_t)(th_rand(s) % 4096); break;
	case 1: n = 1 + (size_t)(th_rand(s) % (256u << 10)); break;
	case 2: n = 1 + (size_t)(th_rand(s) % STRESS_MAXREAD); break;
	default: off -= off % STRESS_SPAN; n = 1 + (size_t)(th_rand(s) % (128u << 10)); break;
	}
	size_t want = f->len - off < n ? (size_t)(f->len - off) : n;
	ssize_t got = gzc_reader_pread(r, buf, n, off);
	if (got != (ssize_t)want || memcmp(buf, f->data + off, want) != 0)
		stress_bad(t, "pread", f, off, n, (long)got);
}

static void *stress_reader(void *arg)
{
	struct stress_thread *t = arg;
	uint64_t s = t->seed;
	unsigned char *buf = malloc(STRESS_MAXREAD);
	if (!buf)
		stress_bad(t, "malloc", t->f, 0, STRESS_MAXREAD, 0);
	for (int k = 0; buf && k < STRESS_READS; k++) {
		struct stress_file *f = &t->f[th_rand(&s) % 2];
		if (k % 16 == 15) {
			uint64_t off = th_rand(&s) % f->len;
			int hole = (int)(th_rand(&s) & 1);
			int64_t got = gzc_reader_seek(f->r, off, hole ? SEEK_HOLE : SEEK_DATA);
			if (got != stress_expect_seek(gzc_reader_index(f->r), off, hole))
				stress_bad(t, hole ? "SEEK_HOLE" : "SEEK_DATA", f, off, 0, (long)got);
		} else {
			stress_read(t, f->r, f, buf, &s);
		}
	}
	free(buf);
	return NULL;
}

/* Opens readers of the same files on the same cache (each with its own file
 * id), reads a little and closes them: gzc_cache_drop_file under the other
 * threads' loads. */
static void *stress_churn(void *arg)
{
	struct stress_thread *t = arg;
	uint64_t s = t->seed;
	unsigned char *buf = malloc(STRESS_MAXREAD);
	if (!buf)
		stress_bad(t, "malloc", t->f, 0, STRESS_MAXREAD, 0);
	for (int k = 0; buf && k < STRESS_OPENS; k++) {
		struct stress_file *f = &t->f[k % 2];
		struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = f->ipath, .cache = t->c,
					      .flags = GZC_READER_NO_SAVE };
		struct gzc_reader *r = NULL;
		int fd = open(f->path, O_RDONLY | O_CLOEXEC);
		int rc = fd < 0 ? -errno : gzc_reader_open(fd, &ro, &r, NULL);
		if (rc < 0 || gzc_reader_index_origin(r) != GZC_INDEX_LOADED) {
			stress_bad(t, "open", f, 0, 0, rc);
			if (fd >= 0 && rc < 0)
				close(fd);
			gzc_reader_close(r);
			continue;
		}
		t->opens++;
		for (int j = 0; j < 4; j++)
			stress_read(t, r, f, buf, &s);
		gzc_reader_close(r);
	}
	free(buf);
	return NULL;
}

Test(reader, shared_cache_stress)
{
	struct stress_file f[2];
	memset(f, 0, sizeof(f));

	/* ours: 32 spans and a tail, spans 3-5 and 12 all zeros; the writer's
	 * index saved beside it, so every reader loads it */
	f[0].len = 32 * (size_t)STRESS_SPAN + 4321;
	f[0].data = alloc_mixed(f[0].len, 61);
	memset(f[0].data + 3 * STRESS_SPAN, 0, 3 * STRESS_SPAN);
	memset(f[0].data + 12 * STRESS_SPAN, 0, STRESS_SPAN);
	f[0].hot = 8 * STRESS_SPAN;
	struct gzc_writer_opts o = { .span = STRESS_SPAN };
	struct gzc_index *idx = NULL;
	close(th_compress(dir, "own.gz", f[0].data, f[0].len, &o, 0, &idx, f[0].path));
	snprintf(f[0].ipath, sizeof(f[0].ipath), "%s.gzx", f[0].path);
	cr_assert_eq(gzc_index_save(idx, AT_FDCWD, f[0].ipath), 0);
	gzc_index_free(idx);

	/* another tool's gzip file (spans of 1 MiB or more: deflate block
	 * edges), its zeros long enough for a whole zero span; its index built
	 * and saved once, then loaded: its zero spans are checked at first use */
	f[1].len = (9u << 20) + 999;
	f[1].data = alloc_mixed(f[1].len, 62);
	memset(f[1].data + (2u << 20), 0, 6u << 20);
	f[1].hot = 4u << 20;
	snprintf(f[1].path, sizeof(f[1].path), "%s/foreign.gz", dir);
	snprintf(f[1].ipath, sizeof(f[1].ipath), "%s.gzx", f[1].path);
	write_foreign(f[1].path, f[1].data, f[1].len, 31);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = f[1].ipath };
	gzc_reader_close(th_reader(f[1].path, &ro));

	/* a cache of a few spans: loads evict each other */
	struct gzc_cache *c = NULL;
	cr_assert_eq(gzc_cache_new(2u << 20, &c), 0);
	for (int i = 0; i < 2; i++) {
		ro = (struct gzc_reader_opts){ .index_dirfd = AT_FDCWD, .index_path = f[i].ipath, .cache = c,
					       .flags = GZC_READER_NO_SAVE };
		f[i].r = th_reader(f[i].path, &ro);
		cr_assert_eq(gzc_reader_index_origin(f[i].r), GZC_INDEX_LOADED, "file %d", i);
		cr_assert_eq(gzc_reader_size(f[i].r), f[i].len);
		const struct gzc_index *ix = gzc_reader_index(f[i].r);
		uint32_t zeros = 0;
		for (uint32_t k = 0; k < ix->nspans; k++)
			zeros += !!(ix->spans[k].flags & GZC_SPAN_F_ZERO);
		cr_assert(zeros > 0 && zeros < ix->nspans - 1, "file %d: %u zero spans of %u", i, zeros, ix->nspans);
	}

	struct stress_thread t[STRESS_THREADS + 1];
	pthread_t tid[STRESS_THREADS + 1];
	for (int i = 0; i <= STRESS_THREADS; i++) {
		t[i] = (struct stress_thread){ .f = f, .c = c, .seed = 1000 + (uint64_t)i };
		cr_assert_eq(pthread_create(&tid[i], NULL, i < STRESS_THREADS ? stress_reader : stress_churn, &t[i]), 0);
	}
	for (int i = 0; i <= STRESS_THREADS; i++)
		pthread_join(tid[i], NULL);
	for (int i = 0; i <= STRESS_THREADS; i++)
		cr_assert_eq(t[i].bad, 0, "thread %d: %d wrong, the first: %s", i, t[i].bad, t[i].first);
	cr_assert_eq(t[STRESS_THREADS].opens, STRESS_OPENS);

	/* the run did what it is for: threads met on loading spans (about a
	 * hundred waits a run, even on one CPU) and the cache evicted */
	struct gzc_cache_stats st;
	gzc_cache_get_stats(c, &st);
	cr_assert_gt(st.waits, 0u, "no thread ever waited for another's load");
	cr_assert_gt(st.evictions, 0u, "the cache never filled");
	for (int i = 0; i < 2; i++) {
		gzc_reader_close(f[i].r);
		free(f[i].data);
	}
	gzc_cache_free(c);
}

/* Reads a damaged file from start to end in pieces of random size: each
 * piece either fails or equals the original. Returns how many failed. */
static int read_damaged(struct gzc_reader *r, const unsigned char *data, size_t len, unsigned char *buf, uint64_t *s)
{
	int failed = 0;
	for (uint64_t off = 0; off < len + 10;) {
		size_t n = (size_t)(th_rand(s) % (2 * SPAN)) + 1;
		size_t want = off >= len ? 0 : (len - off < n ? (size_t)(len - off) : n);
		ssize_t got = gzc_reader_pread(r, buf, n, off);
		if (got < 0) {
			failed++;
		} else {
			cr_assert_eq(got, (ssize_t)want, "pread(%zu at %llu) = %zd", n, (unsigned long long)off, got);
			th_assert_bytes(buf, data + off, want);
		}
		off += n;
	}
	return failed;
}

/* Random bit flips anywhere in the file (gzip header and its extra field,
 * spans, trailer), with the writer's index beside it and without one:
 * opening either fails, or the reader reports the true size and every read
 * either fails or gives the original bytes. Never wrong bytes, never a
 * crash. */
Test(reader, random_damage_never_gives_wrong_bytes)
{
	size_t len;
	unsigned char *data = make_data(&len);
	char path[128], bad[192], badidx[200];
	const int levels[] = { 1, 6, 9 };
	unsigned char *buf = malloc(2 * SPAN);
	uint64_t s = 99;
	int opened = 0, failed = 0, clean = 0;
	snprintf(bad, sizeof(bad), "%s/bad.gz", dir);
	snprintf(badidx, sizeof(badidx), "%s.gzx", bad);
	for (int lv = 0; lv < 3; lv++) {
		struct gzc_writer_opts o = { .span = SPAN, .level = levels[lv], .container = lv == 1 ? GZC_ZLIB : GZC_GZIP };
		struct gzc_index *idx = NULL;
		int fd = th_compress(dir, "good.gz", data, len, &o, 0, &idx, path);
		struct stat st;
		cr_assert_eq(fstat(fd, &st), 0);
		size_t clen = (size_t)st.st_size;
		unsigned char *good = malloc(clen), *copy = malloc(clen);
		cr_assert_eq(gzc_pread_all(fd, good, clen, 0), (ssize_t)clen);
		close(fd);
		for (int it = 0; it < 200; it++) {
			memcpy(copy, good, clen);
			int flips = 1 + (int)(th_rand(&s) % 3);
			for (int k = 0; k < flips; k++) {
				uint64_t x = th_rand(&s);
				/* a quarter in the header, a quarter in the trailer */
				size_t pos = it % 4 == 0 ? x % 32 : it % 4 == 1 ? clen - 1 - x % 16 : x % clen;
				copy[pos] ^= (unsigned char)(1u << ((x >> 40) % 8));
			}
			fd = open(bad, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			cr_assert_geq(fd, 0);
			cr_assert_eq(gzc_pwrite_all(fd, copy, clen, 0), 0);
			if (it & 1)
				cr_assert_eq(gzc_index_save(idx, AT_FDCWD, badidx), 0);
			else
				unlink(badidx);
			struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = badidx,
						      .flags = GZC_READER_NO_SAVE };
			struct gzc_reader *r = NULL;
			struct gzc_scan_error err = { 0 };
			int rc = gzc_reader_open(fd, &ro, &r, &err);
			if (rc < 0) {
				close(fd);
				continue;
			}
			opened++;
			cr_assert_eq(gzc_reader_size(r), len, "level %d, try %d: size %llu", levels[lv], it,
				     (unsigned long long)gzc_reader_size(r));
			int f = read_damaged(r, data, len, buf, &s);
			failed += f;
			clean += f == 0;
			gzc_reader_close(r);
		}
		gzc_index_free(idx);
		free(good);
		free(copy);
	}
	/* the damage must have been seen, and not everything refused */
	cr_assert_gt(opened, 100, "only %d damaged files opened", opened);
	cr_assert_gt(failed, 0, "no damaged read was refused");
	cr_assert_gt(clean, 0, "no damaged file read clean (damage in zero spans or the index's reach)");
	free(buf);
	free(data);
}

Test(reader, empty_core)
{
	char path[128];
	close(th_compress(dir, "e.gz", "", 0, NULL, 0, NULL, path));
	struct gzc_reader *r = th_reader(path, NULL);
	unsigned char b[4];
	cr_assert_eq(gzc_reader_size(r), 0u);
	cr_assert_eq(gzc_reader_pread(r, b, 4, 0), 0);
	cr_assert_eq(gzc_reader_seek(r, 0, SEEK_DATA), -ENXIO);
	gzc_reader_close(r);
}

/* A read deep into a span whose prefix is cached goes on from the prefix
 * (the same cache entry grows) instead of decoding the span again; every
 * byte stays right, and a corrupt tail is caught by its segment CRC. */
Test(reader, prefix_is_extended_in_place)
{
	size_t len = 3u << 20;
	unsigned char *data = alloc_mixed(len, 45);
	char path[128];
	struct gzc_writer_opts o = { .span = 1u << 20, .level = 2 };
	close(th_compress(dir, "p.gz", data, len, &o, 0, NULL, path));
	struct gzc_cache *c = NULL;
	cr_assert_eq(gzc_cache_new(64u << 20, &c), 0);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .cache = c };
	struct gzc_reader *r = th_reader(path, &ro);
	unsigned char buf[8192];
	struct gzc_cache_stats st;

	/* span 1: a read near its start loads only a prefix */
	uint64_t base = 1u << 20;
	cr_assert_eq(gzc_reader_pread(r, buf, 4096, base + 1000), 4096);
	th_assert_bytes(buf, data + base + 1000, 4096);
	gzc_cache_get_stats(c, &st);
	cr_assert_eq(st.misses, 1u);
	cr_assert_eq(st.entries, 1u, "one entry");
	cr_assert_eq(st.extends, 0u);
	/* (a prefix: the reads past it below extend this entry instead of
	 * decoding the span again) */
	/* inside the prefix: a hit */
	cr_assert_eq(gzc_reader_pread(r, buf, 4096, base + 50000), 4096);
	th_assert_bytes(buf, data + base + 50000, 4096);
	gzc_cache_get_stats(c, &st);
	cr_assert_eq(st.hits, 1u);
	/* past it, across segment edges: the same entry grows */
	for (uint64_t off = base + 300000; off < base + (1u << 20) - 8192; off += 150001) {
		cr_assert_eq(gzc_reader_pread(r, buf, 8192, off), 8192);
		th_assert_bytes(buf, data + off, 8192);
	}
	gzc_cache_get_stats(c, &st);
	cr_assert_eq(st.entries, 1u);
	cr_assert_eq(st.misses, 1u, "%llu decodes from the start: the prefix was replaced, not extended",
		     (unsigned long long)st.misses);
	cr_assert_geq(st.extends, 1u);
	/* and again from the start: all there now */
	cr_assert_eq(gzc_reader_pread(r, buf, 4096, base + 7), 4096);
	th_assert_bytes(buf, data + base + 7, 4096);
	gzc_reader_close(r);
	gzc_cache_free(c);
	free(data);
}

/* A sparse "index" (a valid one extended by a 1 GiB hole) is refused
 * unread (no gigabyte allocated), another file's index is stale, and the
 * reader rebuilds either way. */
Test(reader, index_load_for_dense_and_matching)
{
	size_t len;
	unsigned char *data = make_data(&len);
	struct gzc_writer_opts o = { .span = SPAN };
	char path[256], ipath[300], other[300];
	struct gzc_index *idx = NULL;
	int fd = th_compress(dir, "own.gz", data, len, &o, 0, &idx, path);
	snprintf(ipath, sizeof(ipath), "%s.gzx", path);
	cr_assert_eq(gzc_index_save(idx, AT_FDCWD, ipath), 0);
	gzc_index_free(idx);
	struct gzc_index *back = NULL;
	cr_assert_eq(gzc_index_load_for(AT_FDCWD, ipath, fd, &back), 0);
	cr_assert_eq(back->usize, len);
	gzc_index_free(back);

	/* another file's index */
	char opath[256];
	close(th_compress(dir, "other.gz", data, len / 2, &o, 0, &idx, opath));
	snprintf(other, sizeof(other), "%s.gzx", opath);
	cr_assert_eq(gzc_index_save(idx, AT_FDCWD, other), 0);
	gzc_index_free(idx);
	back = NULL;
	cr_assert_eq(gzc_index_load_for(AT_FDCWD, other, fd, &back), -ESTALE);
	cr_assert_null(back);

	/* a sparse 1 GiB file under the index's name */
	cr_assert_eq(truncate(ipath, 1ll << 30), 0);
	cr_assert_eq(gzc_index_load_for(AT_FDCWD, ipath, fd, &back), -EBADMSG);
	cr_assert_null(back);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath, .cache_bytes = 8u << 20 };
	struct gzc_reader *r = NULL;
	cr_assert_eq(gzc_reader_open(fd, &ro, &r, NULL), 0);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_BUILT);
	random_reads(r, data, len, 20, 13);
	gzc_reader_close(r);
	free(data);
}

