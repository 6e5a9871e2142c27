/*
 * test_scan.c — unit tests of the index builder (src/scan.c).
 *
 * Foreign files come from the real tools (gzip, pigz, 7z, zlib-flate), run
 * on a generated input; a test whose tool is missing is skipped, not passed.
 * For each, the scanned index must cover the exact size and every one of
 * its spans must decode alone (through a reader on the saved index) to the
 * right bytes. Our own files must give back the writer's index exactly.
 */
#include "fmt_helpers.h"

#include <sys/wait.h>

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }
TestSuite(scan, .init = setup, .fini = teardown, .timeout = 120);

#define INPUT_LEN ((5u << 20) + 12345)

static unsigned char *write_input(const char *name, size_t len, uint64_t seed)
{
	unsigned char *data = alloc_mixed(len, seed);
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(gzc_write_all(fd, data, len), 0);
	close(fd);
	return data;
}

/* Runs a shell command in dir; skips the test if tool is not installed. */
static void run(const char *tool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run(const char *tool, const char *fmt, ...)
{
	char cmd[1024], body[900];
	va_list ap;
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	if (system(cmd) != 0)
		cr_skip("%s is not installed", tool);
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "cd '%s' && %s", dir, body);
	int st = system(cmd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "command failed: %s", body);
}

static int open_in_dir(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	return fd;
}

/*
 * Scans name with checkpoints every span bytes, checks the index against
 * data, saves it and decodes every span through a reader that loads it.
 */
static void scan_and_verify(const char *name, const unsigned char *data, size_t len, uint32_t span,
			    uint32_t want_flags)
{
	int fd = open_in_dir(name);
	struct gzc_index *idx = NULL;
	struct gzc_scan_error err = { 0 };
	int rc = gzc_scan_build(fd, span, &idx, &err, NULL, NULL);
	cr_assert_eq(rc, 0, "%s: scan %d: %s at %llu", name, rc, err.what ? err.what : "", (unsigned long long)err.coff);
	cr_assert_eq(idx->usize, len, "%s: size", name);
	cr_assert_eq(idx->flags & GZC_IDX_F_KNOWN, want_flags, "%s: flags %#x", name, idx->flags);
	cr_assert_eq(idx->data_crc, (uint32_t)crc32(0, data, (uInt)len));
	if (len) {
		uint64_t expect_spans = len / span;
		cr_assert_geq(idx->nspans * 2 + 2, expect_spans, "%s: %u spans for %zu bytes", name, idx->nspans, len);
	}
	uint32_t own_span = 0;
	cr_assert_eq(gzc_scan_is_own(fd, &own_span), 0, "%s is not ours", name);

	char ipath[256];
	snprintf(ipath, sizeof(ipath), "%s/%s.gzx", dir, name);
	cr_assert_eq(gzc_index_save(idx, AT_FDCWD, ipath), 0);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath, .flags = GZC_READER_NO_SAVE };
	struct gzc_reader *r = NULL;
	cr_assert_eq(gzc_reader_open(fd, &ro, &r, NULL), 0);
	cr_assert_eq(gzc_reader_index_origin(r), GZC_INDEX_LOADED);
	unsigned char *buf = malloc(GZC_FOREIGN_SPAN_MAX < 64u << 20 ? GZC_FOREIGN_SPAN_MAX : 64u << 20);
	for (uint32_t i = 0; i < idx->nspans; i++) {
		const struct gzc_span *s = &idx->spans[i];
		uint64_t slen = gzc_index_span_len(idx, i);
		cr_assert_eq(s->crc, (uint32_t)crc32(0, data + s->uoff, (uInt)slen), "%s span %u crc", name, i);
		cr_assert_eq(!!(s->flags & GZC_SPAN_F_ZERO), gzc_is_zero(data + s->uoff, slen), "%s span %u zero", name, i);
		long n = gzc_reader_decode_span(r, i, buf, 64u << 20);
		cr_assert_eq(n, (long)slen, "%s: span %u (coff %llu bits %d wlen %u) decodes to %ld", name, i,
			     (unsigned long long)s->coff, s->bits, s->wlen, n);
		th_assert_bytes(buf, data + s->uoff, slen);
	}
	free(buf);
	gzc_reader_close(r); /* closes fd */
	gzc_index_free(idx);
}

Test(scan, gzip_9_and_1)
{
	unsigned char *data = write_input("in", INPUT_LEN, 1);
	run("gzip", "gzip -9 -c in > g9.gz && gzip -1 -c in > g1.gz");
	scan_and_verify("g9.gz", data, INPUT_LEN, 65536, GZC_IDX_F_FOREIGN);
	scan_and_verify("g1.gz", data, INPUT_LEN, 1u << 20, GZC_IDX_F_FOREIGN);
	free(data);
}

Test(scan, pigz)
{
	unsigned char *data = write_input("in", INPUT_LEN, 2);
	run("pigz", "pigz -p 2 -c in > p.gz && pigz -p 2 -9 -c in > p9.gz");
	scan_and_verify("p.gz", data, INPUT_LEN, 65536, GZC_IDX_F_FOREIGN);
	scan_and_verify("p9.gz", data, INPUT_LEN, 1u << 20, GZC_IDX_F_FOREIGN);
	free(data);
}

Test(scan, sevenzip_gzip)
{
	unsigned char *data = write_input("in", INPUT_LEN, 3);
	run("7z", "7z a -tgzip -bso0 -bsp0 s.gz in");
	scan_and_verify("s.gz", data, INPUT_LEN, 65536, GZC_IDX_F_FOREIGN);
	free(data);
}

Test(scan, multi_member)
{
	size_t a = (2u << 20) + 7, b = 300000;
	unsigned char *data = alloc_mixed(a + b + 5, 4);
	char path[256];
	snprintf(path, sizeof(path), "%s/in", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_eq(gzc_write_all(fd, data, a + b + 5), 0);
	close(fd);
	/* three members, the middle one tiny, cut at odd places */
	run("gzip", "head -c %zu in | gzip -6 > a.gz && tail -c +%zu in | head -c 5 | gzip -9 > b.gz && "
		    "tail -c %zu in | gzip -1 > c.gz && cat a.gz b.gz c.gz > m.gz", a, a + 1, b);
	scan_and_verify("m.gz", data, a + b + 5, 65536, GZC_IDX_F_FOREIGN | GZC_IDX_F_MULTIMEMBER);
	scan_and_verify("m.gz", data, a + b + 5, 1u << 20, GZC_IDX_F_FOREIGN | GZC_IDX_F_MULTIMEMBER);
	free(data);
}

Test(scan, empty_gzip)
{
	run("gzip", "gzip -c < /dev/null > e.gz");
	unsigned char none[1];
	scan_and_verify("e.gz", none, 0, 65536, GZC_IDX_F_FOREIGN);
}

Test(scan, zlib_flate)
{
	unsigned char *data = write_input("in", INPUT_LEN, 5);
	run("zlib-flate", "zlib-flate -compress < in > z.zz");
	scan_and_verify("z.zz", data, INPUT_LEN, 65536, GZC_IDX_F_FOREIGN | GZC_IDX_F_ZLIB);
	free(data);
}

Test(scan, own_file_rebuilds_the_writers_index)
{
	uint32_t spans[] = { 65536, 1u << 20 };
	for (int k = 0; k < 2; k++) {
		size_t len = 7 * (size_t)spans[k] + 999;
		unsigned char *data = alloc_mixed(len, 6);
		memset(data + 2 * (size_t)spans[k], 0, 2 * (size_t)spans[k]); /* two zero spans */
		for (int level = 1; level <= 9; level += 4) {
			struct gzc_writer_opts o = { .span = spans[k], .level = level, .threads = 2 };
			struct gzc_index *w = NULL, *s = NULL;
			int fd = th_compress(dir, "own.gz", data, len, &o, 0, &w, NULL);
			uint32_t own_span = 0;
			cr_assert_eq(gzc_scan_is_own(fd, &own_span), 1);
			cr_assert_eq(own_span, spans[k]);
			/* whatever checkpoint distance is asked, our own spans are used */
			cr_assert_eq(gzc_scan_build(fd, 1u << 20, &s, NULL, NULL, NULL), 0);
			cr_assert_eq(s->flags, w->flags);
			cr_assert_eq(s->span_size, w->span_size);
			cr_assert_eq(s->nspans, w->nspans, "level %d span %u", level, spans[k]);
			cr_assert_eq(s->usize, w->usize);
			cr_assert_eq(s->csize, w->csize);
			cr_assert_eq(s->head_crc, w->head_crc);
			cr_assert_eq(s->tail_crc, w->tail_crc);
			cr_assert_eq(s->data_crc, w->data_crc);
			cr_assert_eq(s->wsize, 0u, "our own spans need no windows");
			for (uint32_t i = 0; i < w->nspans; i++) {
				cr_assert_eq(s->spans[i].uoff, w->spans[i].uoff);
				cr_assert_eq(s->spans[i].coff, w->spans[i].coff, "span %u level %d", i, level);
				cr_assert_eq(s->spans[i].bits, 0);
				cr_assert_eq(s->spans[i].wlen, 0u);
				cr_assert_eq(s->spans[i].crc, w->spans[i].crc);
				cr_assert_eq(s->spans[i].flags, w->spans[i].flags);
			}
			/* and the encoded forms are identical */
			unsigned char *b1, *b2;
			size_t l1, l2;
			cr_assert_eq(gzc_index_encode(w, &b1, &l1), 0);
			cr_assert_eq(gzc_index_encode(s, &b2, &l2), 0);
			cr_assert_eq(l1, l2);
			cr_assert_eq(memcmp(b1, b2, l1), 0);
			free(b1);
			free(b2);
			gzc_index_free(w);
			gzc_index_free(s);
			close(fd);
		}
		free(data);
	}
}

/* Our gzip header, then one deflate block longer than the span size the
 * header gives (found by libFuzzer): the file is not cut as ours, so it is
 * indexed as a foreign file, and that index loads back (it used to be
 * refused on every open, so every open rescanned the file). */
Test(scan, own_header_with_a_longer_block_is_foreign)
{
	size_t len = 3 * 65536 + 5;
	unsigned char *data = malloc(len);
	for (size_t i = 0; i < len; i++) /* letters that tell one offset from another */
		data[i] = (unsigned char)('A' + (i * 7 + i / 251) % 26);
	struct gzc_writer_opts o = { .span = 65536 };
	char path[256];
	int fd = th_compress(dir, "own.gz", data, 10, &o, 0, NULL, path);
	unsigned char hdr[GZC_GZ_HEADER_LEN];
	cr_assert_eq(gzc_pread_all(fd, hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
	close(fd);
	/* one fixed-Huffman block for all of it */
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_FIXED), Z_OK);
	size_t cap = deflateBound(&zs, (uLong)len) + 64;
	unsigned char *body = malloc(cap);
	zs.next_in = data;
	zs.avail_in = (uInt)len;
	zs.next_out = body;
	zs.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	size_t blen = cap - zs.avail_out;
	deflateEnd(&zs);
	unsigned char trailer[8];
	gzc_put_le32(trailer, (uint32_t)crc32(0, data, (uInt)len));
	gzc_put_le32(trailer + 4, (uint32_t)len);
	snprintf(path, sizeof(path), "%s/lie.gz", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(gzc_write_all(fd, hdr, sizeof(hdr)), 0);
	cr_assert_eq(gzc_write_all(fd, body, blen), 0);
	cr_assert_eq(gzc_write_all(fd, trailer, 8), 0);
	uint32_t own_span = 0;
	cr_assert_eq(gzc_scan_is_own(fd, &own_span), 1, "the header must look like ours");

	struct gzc_index *idx = NULL;
	cr_assert_eq(gzc_scan_build(fd, 0, &idx, NULL, NULL, NULL), 0);
	cr_assert(idx->flags & GZC_IDX_F_FOREIGN);
	cr_assert_eq(idx->usize, len);
	unsigned char *enc = NULL;
	size_t enclen = 0;
	struct gzc_index *back = NULL;
	cr_assert_eq(gzc_index_encode(idx, &enc, &enclen), 0);
	cr_assert_eq(gzc_index_decode(enc, enclen, &back), 0, "the scanned index does not load back");
	gzc_index_free(back);
	free(enc);
	gzc_index_free(idx);

	char ipath[300];
	snprintf(ipath, sizeof(ipath), "%s.gzx", path);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath };
	for (int k = 0; k < 2; k++) {
		int rfd = open(path, O_RDONLY);
		struct gzc_reader *r = NULL;
		cr_assert_eq(gzc_reader_open(rfd, &ro, &r, NULL), 0);
		cr_assert_eq(gzc_reader_index_origin(r), k ? GZC_INDEX_LOADED : GZC_INDEX_BUILT);
		unsigned char buf[100];
		cr_assert_eq(gzc_reader_pread(r, buf, sizeof(buf), 2 * 65536 + 7), (ssize_t)sizeof(buf));
		th_assert_bytes(buf, data + 2 * 65536 + 7, sizeof(buf));
		gzc_reader_close(r);
	}
	close(fd);
	free(body);
	free(data);
}

Test(scan, own_empty_file)
{
	struct gzc_index *w = NULL, *s = NULL;
	int fd = th_compress(dir, "e.gz", "", 0, NULL, 0, &w, NULL);
	cr_assert_eq(gzc_scan_build(fd, 0, &s, NULL, NULL, NULL), 0);
	cr_assert_eq(s->usize, 0u);
	cr_assert_eq(s->nspans, 0u);
	gzc_index_free(w);
	gzc_index_free(s);
	close(fd);
}

static int scan_buf(const char *name, const unsigned char *buf, size_t len, struct gzc_scan_error *err)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(gzc_write_all(fd, buf, len), 0);
	struct gzc_index *idx = (void *)0x1;
	memset(err, 0, sizeof(*err));
	int rc = gzc_scan_build(fd, 0, &idx, err, NULL, NULL);
	if (rc == 0)
		gzc_index_free(idx);
	else
		cr_assert_eq(idx, (void *)0x1, "ret touched on failure");
	close(fd);
	return rc;
}

/* A foreign file damaged after its index was saved: the index still
 * matches (it fingerprints the head and tail only), so reads go straight to
 * the checkpoints. Every read must fail or give the original bytes; a span
 * CRC is all that stands between a flipped bit and wrong bytes. Without the
 * index, the scan must refuse the file or index it right. */
Test(scan, damaged_foreign_file_never_gives_wrong_bytes)
{
	size_t len = (1u << 20) + 777;
	unsigned char *data = write_input("in", len, 9);
	run("gzip", "gzip -6 -c in > f.gz");
	int fd = open_in_dir("f.gz");
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	size_t clen = (size_t)st.st_size;
	unsigned char *good = malloc(clen), *copy = malloc(clen), *buf = malloc(200000);
	cr_assert_eq(gzc_pread_all(fd, good, clen, 0), (ssize_t)clen);
	struct gzc_index *idx = NULL;
	cr_assert_eq(gzc_scan_build(fd, 65536, &idx, NULL, NULL, NULL), 0);
	close(fd);
	char bad[256], ipath[272];
	snprintf(bad, sizeof(bad), "%s/bad.gz", dir);
	snprintf(ipath, sizeof(ipath), "%s.gzx", bad);
	uint64_t s = 5;
	int loaded = 0, failed = 0, clean = 0;
	for (int it = 0; it < 300; it++) {
		memcpy(copy, good, clen);
		int flips = 1 + (int)(th_rand(&s) % 3);
		for (int k = 0; k < flips; k++) {
			uint64_t x = th_rand(&s);
			/* away from the fingerprinted head and tail, so the index loads */
			size_t pos = 8192 + x % (clen - 16384);
			copy[pos] ^= (unsigned char)(1u << ((x >> 40) % 8));
		}
		fd = open(bad, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		cr_assert_geq(fd, 0);
		cr_assert_eq(gzc_pwrite_all(fd, copy, clen, 0), 0);
		int with_index = it % 3 != 0;
		if (with_index)
			cr_assert_eq(gzc_index_save(idx, AT_FDCWD, ipath), 0);
		else
			unlink(ipath);
		struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath, .flags = GZC_READER_NO_SAVE };
		struct gzc_reader *r = NULL;
		if (gzc_reader_open(fd, &ro, &r, NULL) < 0) {
			cr_assert(!with_index, "try %d: the saved index did not load", it);
			close(fd);
			continue;
		}
		loaded += gzc_reader_index_origin(r) == GZC_INDEX_LOADED;
		cr_assert_eq(gzc_reader_size(r), len);
		int f = 0;
		for (uint64_t off = 0; off < len;) {
			size_t n = (size_t)(th_rand(&s) % 150000) + 1;
			size_t want = len - off < n ? (size_t)(len - off) : n;
			ssize_t got = gzc_reader_pread(r, buf, n, off);
			if (got < 0) {
				f++;
			} else {
				cr_assert_eq(got, (ssize_t)want, "try %d: pread(%zu at %llu) = %zd", it, n,
					     (unsigned long long)off, got);
				th_assert_bytes(buf, data + off, want);
			}
			off += n;
		}
		failed += f;
		clean += f == 0;
		gzc_reader_close(r);
	}
	cr_assert_gt(loaded, 150, "only %d opens used the saved index", loaded);
	cr_assert_gt(failed, 0, "no damaged read was refused");
	gzc_index_free(idx);
	free(good);
	free(copy);
	free(buf);
	free(data);
}

Test(scan, corrupt_inputs)
{
	size_t len = 3u << 20;
	unsigned char *data = alloc_mixed(len, 8);
	struct gzc_writer_opts o = { .span = 65536, .level = 6 };
	int fd = th_compress(dir, "c.gz", data, len, &o, 0, NULL, NULL);
	size_t clen;
	unsigned char *file = th_slurp(fd, &clen);
	close(fd);
	struct gzc_scan_error err;
	uint64_t s = 17;
	/* flip bytes all over the deflate data: always refused, never wrong bytes */
	for (int k = 0; k < 40; k++) {
		size_t pos = GZC_GZ_HEADER_LEN + (size_t)(th_rand(&s) % (clen - GZC_GZ_HEADER_LEN - 8));
		unsigned char x = (unsigned char)(th_rand(&s) | 1);
		file[pos] ^= x;
		int rc = scan_buf("bad.gz", file, clen, &err);
		cr_assert_eq(rc, -EBADMSG, "flip at %zu: rc %d", pos, rc);
		cr_assert_not_null(err.what);
		cr_assert_geq(err.coff, pos, "error reported at %llu, before the flipped byte %zu",
			      (unsigned long long)err.coff, pos);
		cr_assert_leq(err.coff, clen);
		file[pos] ^= x;
	}
	/* the trailer: CRC and ISIZE */
	for (size_t pos = clen - 8; pos < clen; pos++) {
		file[pos] ^= 0x40;
		cr_assert_eq(scan_buf("bad.gz", file, clen, &err), -EBADMSG, "trailer byte %zu", pos);
		cr_assert_geq(err.coff, clen - 8);
		file[pos] ^= 0x40;
	}
	/* the header's magic and method */
	for (size_t pos = 0; pos < 3; pos++) {
		file[pos] ^= 0x01;
		cr_assert_eq(scan_buf("bad.gz", file, clen, &err), -EBADMSG, "header byte %zu", pos);
		file[pos] ^= 0x01;
	}
	cr_assert_eq(scan_buf("good.gz", file, clen, &err), 0, "the restored file is fine");
	free(file);
	free(data);
}

Test(scan, truncated_inputs)
{
	size_t len = 2u << 20;
	unsigned char *data = alloc_mixed(len, 9);
	struct gzc_writer_opts o = { .span = 65536 };
	int fd = th_compress(dir, "t.gz", data, len, &o, 0, NULL, NULL);
	size_t clen;
	unsigned char *file = th_slurp(fd, &clen);
	close(fd);
	size_t cuts[] = { 1, 2, 10, GZC_GZ_HEADER_LEN, GZC_GZ_HEADER_LEN + 1, clen / 3, clen / 2, clen - 10,
			  clen - 8, clen - 4, clen - 1 };
	struct gzc_scan_error err;
	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		int rc = scan_buf("cut.gz", file, cuts[k], &err);
		cr_assert_eq(rc, -EBADMSG, "cut at %zu of %zu: rc %d", cuts[k], clen, rc);
		cr_assert_not_null(err.what);
		cr_assert_leq(err.coff, cuts[k], "error offset %llu past the end %zu", (unsigned long long)err.coff, cuts[k]);
		cr_assert_leq(err.uoff, len, "cut at %zu: uoff %llu", cuts[k], (unsigned long long)err.uoff);
	}
	/* a zlib stream cut short too */
	struct gzc_writer_opts oz = { .span = 65536, .container = GZC_ZLIB };
	fd = th_compress(dir, "t.zz", data, len, &oz, 0, NULL, NULL);
	free(file);
	file = th_slurp(fd, &clen);
	close(fd);
	cr_assert_eq(scan_buf("cut.zz", file, clen - 1, &err), -EBADMSG);
	cr_assert_eq(scan_buf("cut.zz", file, clen / 2, &err), -EBADMSG);
	cr_assert_eq(scan_buf("ok.zz", file, clen, &err), 0);
	free(file);
	free(data);
}

Test(scan, not_gzip)
{
	struct gzc_scan_error err;
	const char *text = "this is a plain text file, not compressed at all\n";
	cr_assert_eq(scan_buf("t", (const unsigned char *)text, strlen(text), &err), -EBADMSG);
	cr_assert_not_null(err.what);
	cr_assert_eq(scan_buf("one", (const unsigned char *)"\x1f", 1, &err), -EBADMSG);
	cr_assert_eq(scan_buf("empty", (const unsigned char *)"", 0, &err), -EBADMSG);
	/* gzip magic, then a method that is not deflate */
	unsigned char bad[20] = { 0x1f, 0x8b, 0x07, 0 };
	cr_assert_eq(scan_buf("m", bad, sizeof(bad), &err), -EBADMSG);
	/* a valid zlib header (0x78 0x9c) followed by garbage */
	unsigned char z[64] = { 0x78, 0x9c };
	memset(z + 2, 0xff, sizeof(z) - 2);
	cr_assert_eq(scan_buf("z", z, sizeof(z), &err), -EBADMSG);
	unsigned char *rnd = alloc_mixed(100000, 10);
	rnd[0] = 'X';
	cr_assert_eq(scan_buf("r", rnd, 100000, &err), -EBADMSG);
	free(rnd);
}

static int cancel_after(void *ctx, uint64_t done, uint64_t total)
{
	int *calls = ctx;
	(void)done;
	(void)total;
	return ++*calls >= 2;
}

Test(scan, progress_can_cancel)
{
	size_t len = 4u << 20;
	unsigned char *data = alloc_mixed(len, 11);
	struct gzc_writer_opts o = { .span = 65536, .level = 1 };
	int fd = th_compress(dir, "p.gz", data, len, &o, 0, NULL, NULL);
	struct gzc_index *idx = NULL;
	int calls = 0;
	cr_assert_eq(gzc_scan_build(fd, 0, &idx, NULL, cancel_after, &calls), -ECANCELED);
	cr_assert_null(idx);
	close(fd);
	free(data);
}

/* A gzip member of data whose header carries an FCOMMENT: comment_len
 * bytes, or (total != 0) as many as make the member exactly total bytes.
 * Written to a new file name in dir, followed by what follows (NULL: nothing)
 * as another member of data + len at level 6. Returns the open fd. */
static int write_commented(const char *name, const unsigned char *data, size_t len, size_t total, size_t comment_len,
			   const unsigned char *next, size_t next_len)
{
	size_t rawlen;
	unsigned char *raw = th_deflated(data, len, 6, -15, &rawlen);
	const size_t over = GZC_GZ_FIXED_LEN + 1 + GZC_GZ_TRAILER_LEN; /* header, the comment's NUL, trailer */
	if (total) {
		cr_assert_gt(total, over + rawlen);
		comment_len = total - over - rawlen;
	}
	size_t n = over + comment_len + rawlen;
	unsigned char *m = malloc(n);
	cr_assert_not_null(m);
	static const unsigned char head[GZC_GZ_FIXED_LEN] = { GZC_GZ_ID1, GZC_GZ_ID2, GZC_GZ_CM_DEFLATE, 0x10 /* FCOMMENT */,
							      0, 0, 0, 0, 0, GZC_GZ_OS_UNIX };
	memcpy(m, head, sizeof(head));
	memset(m + GZC_GZ_FIXED_LEN, 'c', comment_len);
	m[GZC_GZ_FIXED_LEN + comment_len] = 0;
	memcpy(m + GZC_GZ_FIXED_LEN + comment_len + 1, raw, rawlen);
	gzc_put_le32(m + n - 8, (uint32_t)crc32(0, data, (uInt)len));
	gzc_put_le32(m + n - 4, (uint32_t)len);
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(gzc_write_all(fd, m, n), 0);
	if (next)
		th_append_deflated(fd, next, next_len, 6, 31);
	free(m);
	free(raw);
	return fd;
}

/* The scanner reads GZC_SCAN_CHUNK bytes at a time (scan.h): a first member
 * padded by its comment to end just before, at or just after a chunk's
 * end puts the second member's header across it (or its first bytes alone
 * at the chunk's end). Still two members, every byte right. */
Test(scan, member_header_across_a_read_chunk)
{
	const size_t a = 3000, b = 200000;
	unsigned char *data = alloc_mixed(a + b, 9);
	static const size_t before_end[] = { 0, 1, 2, 5, 9 };
	for (size_t k = 0; k < sizeof(before_end) / sizeof(before_end[0]); k++) {
		close(write_commented("edge.gz", data, a, GZC_SCAN_CHUNK - before_end[k], 0, data + a, b));
		scan_and_verify("edge.gz", data, a + b, 65536, GZC_IDX_F_FOREIGN | GZC_IDX_F_MULTIMEMBER);
	}
	free(data);
}

/* gzc_scan_head: the first bytes of gzip and zlib data, bounded, without a scan. */
Test(scan, head)
{
	size_t len = 300000;
	unsigned char *data = alloc_mixed(len, 77), out[4096];
	char path[128];
	struct gzc_writer_opts o = { .span = 65536 };
	int fd = th_compress(dir, "h.gz", data, len, &o, 0, NULL, path);
	cr_assert_eq(gzc_scan_head(fd, out, sizeof(out)), (ssize_t)sizeof(out));
	cr_assert_eq(memcmp(out, data, sizeof(out)), 0);
	cr_assert_eq(gzc_scan_head(fd, out, 0), -EINVAL);
	close(fd);
	/* zlib, shorter than asked */
	uLongf clen = compressBound(100);
	unsigned char *z = malloc(clen);
	cr_assert_eq(compress2(z, &clen, data, 100, 6), Z_OK);
	snprintf(path, sizeof(path), "%s/h.zz", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_eq(write(fd, z, clen), (ssize_t)clen);
	cr_assert_eq(gzc_scan_head(fd, out, sizeof(out)), 100);
	cr_assert_eq(memcmp(out, data, 100), 0);
	/* cut inside the stream: what came out counts; nothing at all is an error */
	cr_assert_eq(ftruncate(fd, 2), 0);
	cr_assert_eq(gzc_scan_head(fd, out, sizeof(out)), -EBADMSG);
	cr_assert_eq(ftruncate(fd, 0), 0);
	cr_assert_eq(pwrite(fd, "not compressed at all", 21, 0), 21);
	cr_assert_eq(gzc_scan_head(fd, out, sizeof(out)), -EBADMSG);
	close(fd);
	free(z);

	/* a gzip header whose comment runs past the bytes it may read: nothing came
	 * out, -EBADMSG; one whose data starts within them gives its bytes */
	fd = write_commented("long.gz", data, sizeof(out), 0, GZC_SCAN_HEAD_IN, NULL, 0);
	cr_assert_eq(gzc_scan_head(fd, out, sizeof(out)), -EBADMSG);
	close(fd);
	fd = write_commented("long.gz", data, sizeof(out), 0, GZC_SCAN_HEAD_IN - 8192, NULL, 0);
	memset(out, 0, sizeof(out));
	cr_assert_eq(gzc_scan_head(fd, out, sizeof(out)), (ssize_t)sizeof(out));
	cr_assert_eq(memcmp(out, data, sizeof(out)), 0);
	close(fd);
	free(data);
}
