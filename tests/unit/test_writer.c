/*
 * test_writer.c — unit tests of the parallel span writer (src/writer.c).
 *
 * Every output is handed to zlib's own inflate (windowBits 31 for gzip, 15
 * for zlib), which must return exactly the input and accept the trailer;
 * the trailer and the index are then checked field by field against values
 * computed here from the input. Sizes sit on span edges, and input arrives
 * in random piece sizes, from memory or from a pipe.
 */
#include "fmt_helpers.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>

static char dir[64];

static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }

TestSuite(writer, .init = setup, .fini = teardown, .timeout = 120);

/* Checks a finished file (buf, clen) and its index against data[0..len). */
static void check_output(const unsigned char *file, size_t clen, const struct gzc_index *idx,
			 const unsigned char *data, size_t len, uint32_t span, enum gzc_container ct)
{
	size_t outlen = 0;
	unsigned char *out = th_zlib_inflate(file, clen, ct == GZC_ZLIB ? 15 : 31, &outlen);
	cr_assert_not_null(out, "zlib refuses the %s stream of %zu bytes", ct == GZC_ZLIB ? "zlib" : "gzip", len);
	cr_assert_eq(outlen, len);
	th_assert_bytes(out, data, len);
	free(out);

	/* the trailer, computed independently */
	if (ct == GZC_ZLIB) {
		cr_assert_eq(file[0], 0x78);
		cr_assert_eq((file[0] * 256 + file[1]) % 31, 0);
		cr_assert_eq(gzc_get_be32(file + clen - 4), (uint32_t)adler32(1, data, (uInt)len));
	} else {
		cr_assert_eq(file[0], GZC_GZ_ID1);
		cr_assert_eq(file[1], GZC_GZ_ID2);
		cr_assert_eq(gzc_get_le32(file + 18), span, "span size in the header's extra field");
		cr_assert_eq(gzc_get_le32(file + clen - 8), (uint32_t)crc32(0, data, (uInt)len));
		cr_assert_eq(gzc_get_le32(file + clen - 4), (uint32_t)len);
	}

	/* the index */
	uint32_t nspans = (uint32_t)((len + span - 1) / span);
	size_t hdr = ct == GZC_ZLIB ? GZC_ZLIB_HEADER_LEN : GZC_GZ_HEADER_LEN;
	cr_assert_eq(idx->nspans, nspans);
	cr_assert_eq(idx->usize, len);
	cr_assert_eq(idx->csize, clen);
	cr_assert_eq(idx->span_size, span);
	cr_assert_eq(idx->flags, ct == GZC_ZLIB ? GZC_IDX_F_ZLIB : 0u);
	cr_assert_eq(idx->data_crc, (uint32_t)crc32(0, data, (uInt)len));
	cr_assert_eq(idx->head_crc, (uint32_t)crc32(0, file, (uInt)(clen < 4096 ? clen : 4096)));
	for (uint32_t i = 0; i < nspans; i++) {
		const struct gzc_span *s = &idx->spans[i];
		size_t slen = i + 1 < nspans ? span : len - (size_t)i * span;
		uint64_t cend = i + 1 < nspans ? idx->spans[i + 1].coff : clen - GZC_FINAL_BLOCK_LEN -
				(ct == GZC_ZLIB ? GZC_ZLIB_TRAILER_LEN : GZC_GZ_TRAILER_LEN);
		cr_assert_eq(s->uoff, (uint64_t)i * span);
		cr_assert_eq(gzc_index_span_len(idx, i), slen);
		if (i == 0)
			cr_assert_eq(s->coff, hdr);
		cr_assert_gt(cend, s->coff);
		cr_assert_eq(s->bits, 0);
		cr_assert_eq(s->wlen, 0u);
		cr_assert_eq(s->crc, (uint32_t)crc32(0, data + s->uoff, (uInt)slen), "crc of span %u", i);
		int zero = gzc_is_zero(data + s->uoff, slen) && slen == span;
		cr_assert_eq(!!(s->flags & GZC_SPAN_F_ZERO), zero, "zero flag of span %u", i);
		/* each span decodes alone from its own bytes, with no window */
		unsigned char *back = malloc(slen);
		cr_assert_eq(gzc_inflate_span(file + s->coff, (size_t)(cend - s->coff), back, slen), 0,
			     "span %u does not decode alone", i);
		th_assert_bytes(back, data + s->uoff, slen);
		free(back);
		cr_assert_eq(gzc_index_find(idx, s->uoff), i);
		cr_assert_eq(gzc_index_find(idx, s->uoff + slen - 1), i);
	}
	/* the final block closes the deflate stream */
	size_t tl = ct == GZC_ZLIB ? GZC_ZLIB_TRAILER_LEN : GZC_GZ_TRAILER_LEN;
	cr_assert_eq(file[clen - tl - 2], GZC_FINAL_BLOCK_0);
	cr_assert_eq(file[clen - tl - 1], GZC_FINAL_BLOCK_1);
}

/* Makes len bytes where span 1 (if whole) is all zeros, so zero spans occur. */
static unsigned char *make_input(size_t len, uint32_t span, uint64_t seed)
{
	unsigned char *d = alloc_mixed(len, seed);
	if (len >= 2 * (size_t)span)
		memset(d + span, 0, span);
	return d;
}

static void round_trip(size_t len, uint32_t span, enum gzc_container ct, int level, uint64_t piece_seed)
{
	unsigned char *data = make_input(len, span, len ^ span);
	struct gzc_writer_opts o = { .level = level, .container = ct, .span = span, .threads = 3 };
	struct gzc_index *idx = NULL;
	int fd = th_compress(dir, "rt.gz", data, len, &o, piece_seed, &idx, NULL);
	size_t clen;
	unsigned char *file = th_slurp(fd, &clen);
	check_output(file, clen, idx, data, len, span, ct);
	/* the scanner, reading the file alone, finds the same spans and bytes */
	struct gzc_index *scanned = NULL;
	cr_assert_eq(gzc_scan_build(fd, 0, &scanned, NULL, NULL, NULL), 0);
	/* a zlib header has no room to say "spans are independent": the scanner
	 * treats such a file as foreign, with its own checkpoints */
	if (ct == GZC_GZIP) {
		cr_assert_eq(scanned->nspans, idx->nspans, "len %zu span %u level %d: scan %u writer %u", len, span,
			     level, scanned->nspans, idx->nspans);
		for (uint32_t i = 0; i < idx->nspans; i++) {
			cr_assert_eq(scanned->spans[i].uoff, idx->spans[i].uoff);
			cr_assert_eq(scanned->spans[i].coff, idx->spans[i].coff, "len %zu span %u level %d: span %u coff scan %llu (bits %d wlen %u) writer %llu", len, span, level, i, (unsigned long long)scanned->spans[i].coff, scanned->spans[i].bits, scanned->spans[i].wlen, (unsigned long long)idx->spans[i].coff);
		}
	}
	cr_assert_eq(scanned->usize, idx->usize);
	cr_assert_eq(scanned->data_crc, idx->data_crc);
	gzc_index_free(scanned);
	gzc_index_free(idx);
	free(file);
	free(data);
	close(fd);
}

static void edges(uint32_t span, enum gzc_container ct)
{
	size_t sizes[] = { 0, 1, span - 1, span, span + 1, 3 * (size_t)span + 7 };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
		round_trip(sizes[k], span, ct, 0, sizes[k] * 31 + 1);
}

Test(writer, span_edges_gzip_64k) { edges(64 * 1024, GZC_GZIP); }
Test(writer, span_edges_gzip_1m) { edges(1024 * 1024, GZC_GZIP); }
Test(writer, span_edges_zlib_64k) { edges(64 * 1024, GZC_ZLIB); }
Test(writer, span_edges_zlib_1m) { edges(1024 * 1024, GZC_ZLIB); }

Test(writer, every_level)
{
	for (int level = GZC_LEVEL_MIN; level <= GZC_LEVEL_MAX; level++) {
		round_trip(3 * 65536 + 100, 65536, GZC_GZIP, level, (uint64_t)level);
		round_trip(2 * 65536 + 1, 65536, GZC_ZLIB, level, (uint64_t)level + 50);
	}
}

Test(writer, one_big_write_and_output_independent_of_threads)
{
	/* the same input gives the same bytes whatever the thread count or pieces */
	size_t len = 5 * 65536 + 333;
	unsigned char *data = make_input(len, 65536, 9);
	unsigned char *first = NULL;
	size_t first_len = 0;
	for (int threads = 1; threads <= 4; threads++) {
		struct gzc_writer_opts o = { .span = 65536, .threads = threads, .mtime = 12345 };
		int fd = th_compress(dir, "t.gz", data, len, &o, threads == 1 ? 0 : (uint64_t)threads, NULL, NULL);
		size_t clen;
		unsigned char *file = th_slurp(fd, &clen);
		close(fd);
		cr_assert_eq(gzc_get_le32(file + 4), 12345u, "MTIME");
		if (!first) {
			first = file;
			first_len = clen;
			continue;
		}
		cr_assert_eq(clen, first_len, "threads=%d changed the output size", threads);
		th_assert_bytes(file, first, clen);
		free(file);
	}
	free(first);
	free(data);
}

Test(writer, bad_options)
{
	struct gzc_writer *w = (void *)0x1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	struct gzc_writer_opts bad[] = {
		{ .level = 10 }, { .level = -1 }, { .span = GZC_SPAN_MIN - 1 }, { .span = GZC_SPAN_MAX + 1 },
		{ .threads = -1 }, { .container = (enum gzc_container)7 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(gzc_writer_new(fd, &bad[i], &w), -EINVAL, "case %zu", i);
	cr_assert_eq(w, (void *)0x1);
	gzc_writer_free(NULL);
	close(fd);
}

/* A thread that writes a buffer into a pipe in uneven pieces, then closes it. */
struct feeder {
	int fd;
	const unsigned char *data;
	size_t len;
	size_t stop_after; /* close after this many bytes (a producer that dies) */
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	uint64_t s = 77;
	size_t off = 0, end = f->stop_after ? f->stop_after : f->len;
	while (off < end) {
		size_t n = (size_t)(th_rand(&s) % 100000) + 1;
		if (n > end - off)
			n = end - off;
		if (gzc_write_all(f->fd, f->data + off, n) < 0)
			break;
		off += n;
	}
	close(f->fd);
	return NULL;
}

static struct gzc_writer *new_writer(const char *name, uint32_t span, enum gzc_container ct, int *ret_fd)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*ret_fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(*ret_fd, 0);
	struct gzc_writer_opts o = { .span = span, .container = ct, .threads = 2 };
	struct gzc_writer *w = NULL;
	cr_assert_eq(gzc_writer_new(*ret_fd, &o, &w), 0);
	return w;
}

/* A file in the test directory holding data[0..len), opened with flags
 * (O_RDWR or O_WRONLY) and rewound; path (256 bytes) gets its name. */
static int input_file(const char *name, int flags, const unsigned char *data, size_t len, char *path)
{
	snprintf(path, 256, "%s/%s", dir, name);
	int fd = open(path, flags | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(gzc_write_all(fd, data, len), 0);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void finish_and_check(struct gzc_writer *w, int fd, uint32_t extra, const unsigned char *data, size_t len,
			     uint32_t span, enum gzc_container ct)
{
	struct gzc_index *idx = NULL;
	cr_assert_eq(gzc_writer_finish(w, extra, &idx), 0);
	gzc_writer_free(w);
	size_t clen;
	unsigned char *file = th_slurp(fd, &clen);
	uint32_t flags = idx->flags;
	idx->flags &= ~extra;
	check_output(file, clen, idx, data, len, span, ct);
	cr_assert_eq(flags & extra, extra);
	free(file);
	gzc_index_free(idx);
	close(fd);
}

Test(writer, read_fd_from_pipe)
{
	size_t len = 3 * 65536 + 4321;
	unsigned char *data = make_input(len, 65536, 21);
	int p[2];
	cr_assert_eq(pipe(p), 0);
	struct feeder f = { .fd = p[1], .data = data, .len = len };
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, feed, &f), 0);
	int fd;
	struct gzc_writer *w = new_writer("pipe.gz", 65536, GZC_GZIP, &fd);
	uint64_t taken = 0;
	cr_assert_eq(gzc_writer_read_fd(w, p[0], 0, &taken), 0);
	pthread_join(t, NULL);
	close(p[0]);
	cr_assert_eq(taken, len);
	finish_and_check(w, fd, 0, data, len, 65536, GZC_GZIP);
	free(data);
}

Test(writer, read_fd_max_limit)
{
	size_t len = 2 * 65536 + 999, max = 65536 + 17;
	unsigned char *data = make_input(len, 65536, 22);
	char path[256];
	int in = input_file("in", O_RDWR, data, len, path);
	int fd;
	struct gzc_writer *w = new_writer("max.zz", 65536, GZC_ZLIB, &fd);
	uint64_t taken = 0;
	cr_assert_eq(gzc_writer_read_fd(w, in, max, &taken), 1, "max reached first");
	cr_assert_eq(taken, max);
	cr_assert_eq(lseek(in, 0, SEEK_CUR), (off_t)max, "read past the limit");
	cr_assert_eq(gzc_writer_bytes_in(w), max);
	/* the rest continues the same stream */
	cr_assert_eq(gzc_writer_read_fd(w, in, 0, &taken), 0);
	cr_assert_eq(taken, len - max);
	close(in);
	finish_and_check(w, fd, 0, data, len, 65536, GZC_ZLIB);
	free(data);
}

Test(writer, pipe_closing_mid_span_gives_finished_file)
{
	/* the producer dies in the middle of span 2 */
	size_t len = 4 * 65536, cut = 2 * 65536 + 12345;
	unsigned char *data = make_input(len, 65536, 23);
	int p[2];
	cr_assert_eq(pipe(p), 0);
	struct feeder f = { .fd = p[1], .data = data, .len = len, .stop_after = cut };
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, feed, &f), 0);
	int fd;
	struct gzc_writer *w = new_writer("cut.gz", 65536, GZC_GZIP, &fd);
	uint64_t taken = 0;
	cr_assert_eq(gzc_writer_read_fd(w, p[0], 0, &taken), 0);
	pthread_join(t, NULL);
	close(p[0]);
	cr_assert_eq(taken, cut);
	finish_and_check(w, fd, GZC_IDX_F_TRUNCATED, data, cut, 65536, GZC_GZIP);
	free(data);
}

Test(writer, read_error_keeps_what_arrived)
{
	/* a non-blocking pipe with no writer activity: read fails with EAGAIN
	 * after the bytes already in the pipe, which must all be kept */
	size_t len = 65536 + 5000;
	unsigned char *data = make_input(len, 65536, 24);
	int p[2];
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	cr_assert_geq(fcntl(p[1], F_SETPIPE_SZ, 1 << 20), (int)len);
	cr_assert_eq(gzc_write_all(p[1], data, len), 0);
	int fd;
	struct gzc_writer *w = new_writer("err.gz", 65536, GZC_GZIP, &fd);
	uint64_t taken = 0;
	cr_assert_eq(gzc_writer_read_fd(w, p[0], 0, &taken), -EAGAIN);
	cr_assert_eq(taken, len);
	close(p[0]);
	close(p[1]);
	finish_and_check(w, fd, GZC_IDX_F_TRUNCATED, data, len, 65536, GZC_GZIP);
	free(data);
}

Test(writer, read_fd_regular_file_from_any_offset)
{
	/* a regular file is read by the workers in parallel from the current
	 * offset on: same stream, same head, offset left at the end */
	size_t len = GZC_WRITER_HEAD_MAX + 7 * 65536 + 777, start = 3333;
	unsigned char *data = make_input(len, 65536, 25);
	char path[256];
	int in = input_file("in", O_RDWR, data, len, path);
	cr_assert_eq(lseek(in, (off_t)start, SEEK_SET), (off_t)start);
	int fd;
	struct gzc_writer *w = new_writer("file.gz", 65536, GZC_GZIP, &fd);
	uint64_t taken = 0;
	cr_assert_eq(gzc_writer_read_fd(w, in, 0, &taken), 0);
	cr_assert_eq(taken, len - start);
	cr_assert_eq(lseek(in, 0, SEEK_CUR), (off_t)len);
	size_t hl;
	const unsigned char *head = gzc_writer_head(w, &hl);
	cr_assert_eq(hl, GZC_WRITER_HEAD_MAX);
	cr_assert_eq(memcmp(head, data + start, hl), 0, "head kept in stream order");
	close(in);
	finish_and_check(w, fd, 0, data + start, len - start, 65536, GZC_GZIP);
	free(data);
}

/* Bytes this process has read with read(2)/pread(2) so far, its threads
 * included (/proc/self/io's rchar). */
static uint64_t rchar(void)
{
	char buf[512];
	unsigned long long v = 0;
	FILE *f = fopen("/proc/self/io", "r");
	cr_assert_not_null(f, "no /proc/self/io");
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "rchar: %llu", &v) == 1)
			break;
	fclose(f);
	cr_assert_gt(v, 0);
	return v;
}

Test(writer, read_fd_sparse_file)
{
	/* holes are zeros without being read (SEEK_DATA); data around them,
	 * inside a span with a hole, and at the end must all come through */
	size_t span = 65536, len = GZC_WRITER_HEAD_MAX + 12 * span + 777;
	unsigned char *data = calloc(1, len);
	unsigned char *fill = make_input(len, (uint32_t)span, 28);
	struct { size_t off, n; } rg[] = { { 2 * span, span }, { 5 * span + 1000, 3000 }, { 9 * span - 10, 20 },
					  { len - 500, 500 } };
	char path[256];
	snprintf(path, sizeof(path), "%s/sparse", dir);
	int in = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_eq(ftruncate(in, (off_t)len), 0);
	for (size_t k = 0; k < sizeof(rg) / sizeof(rg[0]); k++) {
		memcpy(data + rg[k].off, fill + rg[k].off, rg[k].n);
		cr_assert_eq(gzc_pwrite_all(in, data + rg[k].off, rg[k].n, rg[k].off), 0);
	}
	int fd;
	struct gzc_writer *w = new_writer("sparse.gz", (uint32_t)span, GZC_ZLIB, &fd);
	uint64_t taken = 0, before = rchar();
	cr_assert_eq(gzc_writer_read_fd(w, in, 0, &taken), 0);
	uint64_t was_read = rchar() - before;
	cr_assert_eq(taken, len);
	/* the spans that hold data (4 of 76) are read; the holes are not */
	cr_assert_lt(was_read, 8 * span, "%llu of %zu bytes read: the holes were read", (unsigned long long)was_read, len);
	cr_assert_eq(lseek(in, 0, SEEK_CUR), (off_t)len, "offset left at the end despite SEEK_DATA");
	size_t hl;
	const unsigned char *head = gzc_writer_head(w, &hl);
	cr_assert_eq(hl, GZC_WRITER_HEAD_MAX);
	cr_assert_eq(memcmp(head, data, hl), 0, "the head holds the holes' zeros and the data");
	close(in);
	finish_and_check(w, fd, 0, data, len, (uint32_t)span, GZC_ZLIB);
	free(fill);
	free(data);
}

/* Cuts a file after a delay while a writer reads it, then writes the cut
 * bytes back (a file that shrinks and grows again). */
struct cutter {
	const char *path;
	const unsigned char *data;
	size_t len;
	off_t cut;
	unsigned delay_us;
};

static void *cut_later(void *arg)
{
	struct cutter *c = arg;
	usleep(c->delay_us);
	cr_assert_eq(truncate(c->path, c->cut), 0);
	int fd = open(c->path, O_WRONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(gzc_pwrite_all(fd, c->data + c->cut, c->len - (size_t)c->cut, c->cut), 0);
	close(fd);
	return NULL;
}

Test(writer, read_fd_file_cut_while_read)
{
	/* the input shrinks while the workers pread it, then grows back:
	 * whatever the timing, the stream is the original's first bytes, at
	 * least up to the cut, and only its last span is short (check_output
	 * checks every span: a short read must not end a span mid-stream) */
	size_t len = 24u << 20, cut = (5u << 20) + 12345;
	unsigned char *data = make_input(len, 65536, 27);
	char path[256], name[32];
	for (unsigned round = 0; round < 5; round++) {
		int in = input_file("shrinking", O_RDWR, data, len, path);
		int fd;
		snprintf(name, sizeof(name), "cut%u.gz", round);
		struct gzc_writer *w = new_writer(name, 65536, GZC_GZIP, &fd);
		struct cutter c = { .path = path, .data = data, .len = len, .cut = (off_t)cut, .delay_us = round * 1500 };
		pthread_t t;
		cr_assert_eq(pthread_create(&t, NULL, cut_later, &c), 0);
		uint64_t taken = 0;
		cr_assert_eq(gzc_writer_read_fd(w, in, 0, &taken), 0);
		pthread_join(t, NULL);
		close(in);
		cr_assert_geq(taken, cut, "round %u: bytes before the cut lost (%llu taken)", round,
			      (unsigned long long)taken);
		cr_assert_leq(taken, len);
		finish_and_check(w, fd, 0, data, (size_t)taken, 65536, GZC_GZIP);
	}
	free(data);
}

Test(writer, read_fd_file_read_error_is_returned)
{
	/* the workers' pread fails (a write-only fd): the error comes back and
	 * nothing of the failed spans is kept */
	size_t len = 3 * 65536;
	unsigned char *data = make_input(len, 65536, 26);
	char path[256];
	int in = input_file("wo", O_WRONLY, data, len, path);
	int fd;
	struct gzc_writer *w = new_writer("wo.gz", 65536, GZC_GZIP, &fd);
	uint64_t taken = 1;
	cr_assert_eq(gzc_writer_read_fd(w, in, 0, &taken), -EBADF);
	cr_assert_eq(taken, 0);
	cr_assert_eq(gzc_writer_bytes_in(w), 0);
	close(in);
	finish_and_check(w, fd, GZC_IDX_F_TRUNCATED, data, 0, 65536, GZC_GZIP);
	free(data);
}

/*
 * Output failure: feeds data until the writer reports err, then finishes.
 * The result must be a valid stream of a whole-span prefix of the input,
 * marked truncated, with the first error reported.
 */
static void fill_until_error(int fd, int want_err, size_t len)
{
	uint32_t span = 65536;
	/* random bytes: they do not compress, so the output grows as fast as the input */
	unsigned char *data = malloc(len);
	uint64_t s = 5;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = th_rand(&s);
		memcpy(data + i, &v, 8);
	}
	struct gzc_writer_opts o = { .span = span, .threads = 2, .level = 1 };
	struct gzc_writer *w = NULL;
	cr_assert_eq(gzc_writer_new(fd, &o, &w), 0);
	int rc = 0;
	size_t off = 0;
	while (off < len && rc == 0) {
		size_t n = len - off < 10000 ? len - off : 10000;
		rc = gzc_writer_write(w, data + off, n);
		off += n;
	}
	cr_assert_eq(rc, want_err, "the writer must report the output error (got %d)", rc);
	cr_assert_eq(gzc_writer_write(w, data, 1), want_err, "the error is sticky");
	cr_assert_eq(gzc_writer_output_error(w), want_err);
	struct gzc_index *idx = NULL;
	cr_assert_eq(gzc_writer_finish(w, 0, &idx), 0);
	gzc_writer_free(w);
	cr_assert(idx->flags & GZC_IDX_F_TRUNCATED);
	cr_assert_lt(idx->usize, len);
	cr_assert_eq(idx->usize % span, 0, "only whole spans are kept");
	size_t clen, outlen;
	unsigned char *file = th_slurp(fd, &clen);
	cr_assert_eq(idx->csize, clen);
	unsigned char *out = th_zlib_inflate(file, clen, 31, &outlen);
	cr_assert_not_null(out, "the file left after a full disk is not a valid gzip stream");
	cr_assert_eq(outlen, idx->usize);
	th_assert_bytes(out, data, outlen);
	cr_assert_eq(gzc_get_le32(file + clen - 4), (uint32_t)outlen);
	free(out);
	free(file);
	free(data);
	gzc_index_free(idx);
}

Test(writer, full_disk_tmpfs_gives_valid_truncated_file)
{
	if (geteuid() != 0)
		cr_skip("mounting a small tmpfs needs root");
	char mnt[128];
	snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
	cr_assert_eq(mkdir(mnt, 0700), 0);
	/* a mount namespace of this test's own process: should an assertion
	 * end the test before the umount, the tmpfs goes with the process */
	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		cr_skip("no mount namespace of our own here: %s", strerror(errno));
	if (mount("gzc-test", mnt, "tmpfs", 0, "size=1m") < 0)
		cr_skip("cannot mount tmpfs here: %s", strerror(errno));
	char path[256];
	snprintf(path, sizeof(path), "%s/out.gz", mnt);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	fill_until_error(fd, -ENOSPC, 4u << 20);
	close(fd);
	umount2(mnt, MNT_DETACH);
}

Test(writer, file_size_limit_gives_valid_truncated_file)
{
	/* RLIMIT_FSIZE makes writes past 300 KB fail with EFBIG: an output error
	 * any user can provoke (the test runs in its own process) */
	char path[256];
	snprintf(path, sizeof(path), "%s/fsize.gz", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl = { 300000, 300000 };
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	fill_until_error(fd, -EFBIG, 2u << 20);
	close(fd);
}

Test(writer, dev_full_is_a_clean_error)
{
	int fd = open("/dev/full", O_RDWR);
	if (fd < 0)
		cr_skip("no /dev/full");
	struct gzc_writer *w = NULL;
	int rc = gzc_writer_new(fd, NULL, &w);
	if (rc == 0) {
		/* if the header got through, the error must come before a bogus success */
		unsigned char b[1000] = { 1 };
		for (int i = 0; i < 3000 && rc == 0; i++)
			rc = gzc_writer_write(w, b, sizeof(b));
		struct gzc_index *idx = NULL;
		int fr = gzc_writer_finish(w, 0, &idx);
		cr_assert(fr < 0 || (idx->flags & GZC_IDX_F_TRUNCATED), "a write to /dev/full looked successful");
		gzc_index_free(idx);
		gzc_writer_free(w);
	} else {
		cr_assert_eq(rc, -ENOSPC);
		cr_assert_eq(w, NULL);
	}
	close(fd);
}

static long vm_hwm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

Test(writer, memory_bounded_for_512m)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip("RSS means nothing under ASan or TSan (shadow memory, quarantine)");
#endif
	/* output to a memfd: its pages are not mapped, so not counted in our RSS */
	int fd = memfd_create("gzc-out", 0);
	cr_assert_geq(fd, 0);
	size_t chunk = 1u << 20;
	unsigned char *buf = malloc(chunk);
	uint64_t s = 1234;
	/* text-heavy but never zero: compresses to about a third */
	for (size_t i = 0; i < chunk; i++)
		buf[i] = (th_rand(&s) & 3) ? (unsigned char)('a' + i % 23) : (unsigned char)(th_rand(&s) | 1);
	long before = vm_hwm_kib();
	struct gzc_writer *w = NULL;
	cr_assert_eq(gzc_writer_new(fd, NULL, &w), 0);
	for (int i = 0; i < 512; i++) {
		buf[i] ^= 0x5a; /* every span a little different */
		cr_assert_eq(gzc_writer_write(w, buf, chunk), 0);
	}
	struct gzc_index *idx = NULL;
	cr_assert_eq(gzc_writer_finish(w, 0, &idx), 0);
	gzc_writer_free(w);
	long after = vm_hwm_kib();
	cr_assert_eq(idx->usize, 512ull << 20);
	cr_assert_eq(idx->nspans, (512ull << 20) / GZC_SPAN_DEFAULT);
	gzc_index_free(idx);
	free(buf);
	close(fd);
	cr_log_info("VmHWM before %ld KiB, after %ld KiB", before, after);
	cr_assert_lt(after, 64L * 1024, "peak RSS %ld KiB while writing 512 MiB (limit 64 MiB)", after);
}

/* What the writer may hold unwritten follows its real span: 4 MiB at level
 * 9. */
Test(writer, inflight_bound_follows_the_span)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/f.gz", dir);
	uint64_t b[2];
	int levels[2] = { 1, 9 };
	for (int k = 0; k < 2; k++) {
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		cr_assert_geq(fd, 0);
		struct gzc_writer_opts o = { .level = levels[k], .threads = 2 };
		struct gzc_writer *w;
		cr_assert_eq(gzc_writer_new(fd, &o, &w), 0);
		b[k] = gzc_writer_inflight_max(w);
		gzc_writer_free(w);
		close(fd);
	}
	cr_assert_eq(b[0], 6u * GZC_SPAN_DEFAULT, "two workers: six slots of 1 MiB");
	cr_assert_geq(b[1], 3u * GZC_SPAN_DEFAULT_BEST, "level 9: slots of 4 MiB");
}

/* drain writes out every whole span taken; the one being filled stays
 * open, and bytes_done says how much input is written (the kernel handler
 * counts only the rest as possibly incompressible against its budget). */
Test(writer, drain_writes_whole_spans_and_keeps_the_open_one)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/d.gz", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	const uint32_t span = 64 * 1024;
	struct gzc_writer_opts o = { .span = span, .threads = 2 };
	struct gzc_writer *w;
	cr_assert_eq(gzc_writer_new(fd, &o, &w), 0);
	size_t n = 5 * span / 2;
	unsigned char *buf = malloc(n);
	cr_assert_not_null(buf);
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7 + i / 251);
	uint64_t head = gzc_writer_bytes_out(w);
	cr_assert_eq(gzc_writer_write(w, buf, n), 0);
	cr_assert_eq(gzc_writer_bytes_in(w), n);
	cr_assert_eq(gzc_writer_drain(w), 0);
	cr_assert_eq(gzc_writer_bytes_done(w), 2u * span, "two whole spans written, the half one kept open");
	cr_assert_gt(gzc_writer_bytes_out(w), head);
	cr_assert_eq(gzc_writer_drain(w), 0, "a second drain has nothing to do");
	cr_assert_eq(gzc_writer_bytes_done(w), 2u * span);
	struct gzc_index *idx = NULL;
	cr_assert_eq(gzc_writer_finish(w, 0, &idx), 0);
	cr_assert_eq(gzc_writer_bytes_done(w), n);
	cr_assert_eq(idx->usize, n);
	gzc_index_free(idx);
	gzc_writer_free(w);
	free(buf);
	/* the file is whole */
	struct gzc_reader *r;
	cr_assert_eq(gzc_reader_open(fd, NULL, &r, NULL), 0); /* takes fd */
	unsigned char *back = malloc(n);
	cr_assert_not_null(back);
	cr_assert_eq(gzc_reader_pread(r, back, n, 0), (ssize_t)n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(back[i], (unsigned char)(i * 7 + i / 251), "byte %zu", i);
	free(back);
	gzc_reader_close(r);
}
