/*
 * test_extract.c — unit tests of whole-file extraction (src/extract.c).
 *
 * The output must equal the input byte for byte, with holes where the core
 * has zero spans (st_blocks stays small), the exact size even when the file
 * ends in a hole, and the same bytes when the output is a pipe.
 */
#include "fmt_helpers.h"

#include <pthread.h>
#include <signal.h>

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }
TestSuite(extract, .init = setup, .fini = teardown, .timeout = 120);

static int out_file(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	return fd;
}

static void extract_and_compare(struct gzc_reader *r, const unsigned char *data, size_t len, int threads)
{
	int fd = out_file("out");
	struct gzc_extract_opts eo = { .threads = threads };
	cr_assert_eq(gzc_extract(r, fd, &eo, NULL), 0);
	size_t n;
	unsigned char *got = th_slurp(fd, &n);
	cr_assert_eq(n, len);
	th_assert_bytes(got, data, len);
	free(got);
	close(fd);
}

Test(extract, parallel_equals_original)
{
	size_t len = 37 * 65536 + 1001;
	unsigned char *data = alloc_mixed(len, 50);
	memset(data + 3 * 65536, 0, 5 * 65536);
	char path[128];
	struct gzc_writer_opts o = { .span = 65536, .level = 3 };
	close(th_compress(dir, "p.gz", data, len, &o, 0, NULL, path));
	struct gzc_reader *r = th_reader(path, NULL);
	for (int threads = 1; threads <= 8; threads *= 2)
		extract_and_compare(r, data, len, threads);
	extract_and_compare(r, data, len, 0);
	gzc_reader_close(r);
	free(data);
}

Test(extract, foreign_file)
{
	size_t len = (3u << 20) + 5;
	unsigned char *data = alloc_mixed(len, 51);
	char path[128];
	snprintf(path, sizeof(path), "%s/f.gz", dir);
	/* one zlib-made gzip member with history across everything */
	gzFile g = gzopen(path, "wb6");
	cr_assert_not_null(g);
	cr_assert_eq(gzwrite(g, data, (unsigned)len), (int)len);
	cr_assert_eq(gzclose(g), Z_OK);
	struct gzc_reader *r = th_reader(path, NULL);
	extract_and_compare(r, data, len, 2);
	gzc_reader_close(r);
	free(data);
}

Test(extract, sparse_output)
{
	/* 64 MiB, of which 2 spans of 1 MiB hold data; it ends in a hole */
	size_t span = 1u << 20, len = 64 * span;
	unsigned char *data = calloc(1, len);
	fill_mixed(data + 5 * span, span, 52);
	fill_mixed(data + 40 * span + 100, span - 200, 53);
	char path[128];
	struct gzc_writer_opts o = { .span = (uint32_t)span };
	close(th_compress(dir, "s.gz", data, len, &o, 0, NULL, path));
	struct gzc_reader *r = th_reader(path, NULL);
	int fd = out_file("sparse");
	cr_assert_eq(gzc_extract(r, fd, NULL, NULL), 0);
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq((size_t)st.st_size, len, "size with a trailing hole");
	cr_assert_leq((uint64_t)st.st_blocks * 512, 8u << 20, "%lld bytes allocated for 2 MiB of data",
		      (long long)st.st_blocks * 512);
	size_t n;
	unsigned char *got = th_slurp(fd, &n);
	th_assert_bytes(got, data, len);
	free(got);
	close(fd);
	gzc_reader_close(r);
	free(data);
}

struct drain {
	int fd;
	unsigned char *buf;
	size_t cap, len;
};

static void *drain(void *arg)
{
	struct drain *d = arg;
	for (;;) {
		ssize_t n = read(d->fd, d->buf + d->len, d->cap - d->len);
		if (n <= 0)
			break;
		d->len += (size_t)n;
	}
	return NULL;
}

Test(extract, to_a_pipe)
{
	size_t len = 9 * 65536 + 3;
	unsigned char *data = alloc_mixed(len, 54);
	memset(data + 65536, 0, 2 * 65536); /* zero spans become real zeros in a stream */
	char path[128];
	struct gzc_writer_opts o = { .span = 65536 };
	close(th_compress(dir, "pipe.gz", data, len, &o, 0, NULL, path));
	struct gzc_reader *r = th_reader(path, NULL);
	int p[2];
	cr_assert_eq(pipe(p), 0);
	struct drain d = { .fd = p[0], .buf = malloc(len + 100), .cap = len + 100 };
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, drain, &d), 0);
	int rc = gzc_extract(r, p[1], NULL, NULL);
	close(p[1]);
	pthread_join(t, NULL);
	close(p[0]);
	cr_assert_eq(rc, 0);
	cr_assert_eq(d.len, len);
	th_assert_bytes(d.buf, data, len);
	free(d.buf);
	gzc_reader_close(r);
	free(data);
}

/* Our core of len bytes of data with one byte flipped in the middle of
 * span 4, and a reader on it that uses the writer's (true) index; that
 * index in *ret_idx. */
static struct gzc_reader *corrupt_core(const unsigned char *data, size_t len, struct gzc_index **ret_idx)
{
	struct gzc_writer_opts o = { .span = 65536, .level = 6 };
	struct gzc_index *idx = NULL;
	char path[128], ipath[160];
	int fd = th_compress(dir, "c.gz", data, len, &o, 0, &idx, path);
	cr_assert_gt(idx->nspans, 5u);
	uint64_t pos = (idx->spans[4].coff + idx->spans[5].coff) / 2;
	unsigned char b;
	cr_assert_eq(gzc_pread_all(fd, &b, 1, pos), 1);
	b ^= 0x08;
	cr_assert_eq(gzc_pwrite_all(fd, &b, 1, pos), 0);
	close(fd);
	snprintf(ipath, sizeof(ipath), "%s.gzx", path);
	cr_assert_eq(gzc_index_save(idx, AT_FDCWD, ipath), 0);
	struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath, .flags = GZC_READER_NO_SAVE };
	*ret_idx = idx;
	return th_reader(path, &ro);
}

Test(extract, corrupt_span_names_its_offsets)
{
	size_t len = 8 * 65536;
	unsigned char *data = alloc_mixed(len, 55);
	struct gzc_index *idx = NULL;
	struct gzc_reader *r = corrupt_core(data, len, &idx);
	int out = out_file("bad");
	struct gzc_extract_stop stop = { 0 };
	struct gzc_extract_opts eo = { .threads = 3 };
	cr_assert_eq(gzc_extract(r, out, &eo, &stop), -EBADMSG);
	cr_assert_eq(stop.side, GZC_EXTRACT_INPUT);
	cr_assert_eq(stop.coff, idx->spans[4].coff);
	cr_assert_eq(stop.uoff, idx->spans[4].uoff);
	close(out);
	gzc_reader_close(r);
	gzc_index_free(idx);
	free(data);
}

/* The same in order, to an output written as a stream (an O_APPEND file,
 * and a pipe): the corrupt span is the input's fault and named, and what
 * was written before it is the core's own bytes. */
Test(extract, corrupt_span_in_a_stream)
{
	size_t len = 8 * 65536;
	unsigned char *data = alloc_mixed(len, 58);
	struct gzc_index *idx = NULL;
	struct gzc_reader *r = corrupt_core(data, len, &idx);
	for (int to_pipe = 0; to_pipe < 2; to_pipe++) {
		int out = out_file("stream"), p[2] = { -1, -1 };
		struct drain d = { 0 };
		pthread_t t;
		if (to_pipe) {
			cr_assert_eq(pipe(p), 0);
			d = (struct drain){ .fd = p[0], .buf = malloc(len), .cap = len };
			cr_assert_eq(pthread_create(&t, NULL, drain, &d), 0);
		} else {
			close(out);
			char opath[256];
			snprintf(opath, sizeof(opath), "%s/stream", dir);
			out = open(opath, O_RDWR | O_APPEND);
			cr_assert_geq(out, 0);
		}
		struct gzc_extract_stop stop = { 0 };
		cr_assert_eq(gzc_extract(r, to_pipe ? p[1] : out, NULL, &stop), -EBADMSG);
		cr_assert_eq(stop.side, GZC_EXTRACT_INPUT, "pipe %d", to_pipe);
		cr_assert_eq(stop.coff, idx->spans[4].coff);
		cr_assert_eq(stop.uoff, idx->spans[4].uoff);
		size_t n;
		unsigned char *got;
		if (to_pipe) {
			close(p[1]);
			pthread_join(t, NULL);
			close(p[0]);
			got = d.buf;
			n = d.len;
		} else {
			got = th_slurp(out, &n);
		}
		cr_assert_leq(n, stop.uoff, "bytes of or past the corrupt span were written");
		th_assert_bytes(got, data, n);
		free(got);
		close(out);
	}
	gzc_reader_close(r);
	gzc_index_free(idx);
	free(data);
}

/* A failure says which side it is on: a read of the compressed file that
 * fails (here: its fd turned into a directory's) is the input's, a full
 * disk the output's, in both the parallel and the one-pass extraction. */
Test(extract, failures_name_their_side)
{
	size_t len = 6 * 65536;
	unsigned char *data = alloc_mixed(len, 57);
	struct gzc_writer_opts o = { .span = 65536 };
	char path[128];
	close(th_compress(dir, "side.gz", data, len, &o, 0, NULL, path));
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	cr_assert_geq(full, 0);

	int in = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(in, 0);
	struct gzc_extract_stop stop = { 0 };
	cr_assert_eq(gzc_extract_onepass(in, full, NULL, &stop), -ENOSPC);
	cr_assert_eq(stop.side, GZC_EXTRACT_OUTPUT);

	struct gzc_reader *r = NULL;
	struct gzc_scan_error err = { 0 };
	cr_assert_eq(gzc_reader_open(in, NULL, &r, &err), 0);
	stop = (struct gzc_extract_stop){ 0 };
	cr_assert_eq(gzc_extract(r, full, NULL, &stop), -ENOSPC);
	cr_assert_eq(stop.side, GZC_EXTRACT_OUTPUT);
	cr_assert_eq(stop.coff, gzc_reader_index(r)->spans[0].coff);

	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(d, 0);
	cr_assert_eq(dup2(d, in), in); /* the reader's fd now reads as a directory */
	int out = out_file("side");
	stop = (struct gzc_extract_stop){ 0 };
	cr_assert_eq(gzc_extract(r, out, &(struct gzc_extract_opts){ .threads = 2 }, &stop), -EISDIR);
	cr_assert_eq(stop.side, GZC_EXTRACT_INPUT);
	cr_assert_lt(stop.uoff, len);
	stop = (struct gzc_extract_stop){ 0 };
	cr_assert_eq(gzc_extract_onepass(d, out, NULL, &stop), -EISDIR);
	cr_assert_eq(stop.side, GZC_EXTRACT_INPUT);
	cr_assert_eq(stop.coff, 0);
	close(out);
	close(d);
	close(full);
	gzc_reader_close(r);
	free(data);
}

/* Random bit flips past the fingerprinted head: extraction either fails
 * with -EBADMSG, naming a span of the file, or writes exactly the input. */
Test(extract, random_damage_fails_or_is_exact)
{
	size_t len = 12 * 65536 + 99;
	unsigned char *data = alloc_mixed(len, 56);
	struct gzc_writer_opts o = { .span = 65536, .level = 1 };
	struct gzc_index *idx = NULL;
	char path[128], ipath[160];
	int fd = th_compress(dir, "d.gz", data, len, &o, 0, &idx, path);
	size_t clen;
	unsigned char *good = th_slurp(fd, &clen);
	close(fd);
	snprintf(ipath, sizeof(ipath), "%s.gzx", path);
	cr_assert_eq(gzc_index_save(idx, AT_FDCWD, ipath), 0);
	uint64_t s = 17;
	int refused = 0, exact = 0;
	for (int it = 0; it < 80; it++) {
		unsigned char *copy = malloc(clen);
		memcpy(copy, good, clen);
		uint64_t x = th_rand(&s);
		copy[8192 + x % (clen - 16384)] ^= (unsigned char)(1u << ((x >> 40) % 8));
		fd = open(path, O_WRONLY | O_TRUNC);
		cr_assert_eq(gzc_write_all(fd, copy, clen), 0);
		close(fd);
		free(copy);
		struct gzc_reader_opts ro = { .index_dirfd = AT_FDCWD, .index_path = ipath, .flags = GZC_READER_NO_SAVE };
		struct gzc_reader *r = th_reader(path, &ro);
		int out = out_file("out");
		struct gzc_extract_stop stop = { .coff = UINT64_MAX, .uoff = UINT64_MAX };
		struct gzc_extract_opts eo = { .threads = 2 };
		int rc = gzc_extract(r, out, &eo, &stop);
		if (rc == -EBADMSG) {
			refused++;
			cr_assert_eq(stop.side, GZC_EXTRACT_INPUT);
			cr_assert_lt(stop.coff, clen, "try %d: bad span at %llu", it, (unsigned long long)stop.coff);
			cr_assert_lt(stop.uoff, len);
		} else {
			cr_assert_eq(rc, 0, "try %d: %d", it, rc);
			size_t n;
			unsigned char *got = th_slurp(out, &n);
			cr_assert_eq(n, len);
			th_assert_bytes(got, data, len);
			free(got);
			exact++;
		}
		close(out);
		gzc_reader_close(r);
	}
	cr_assert_gt(refused, 40, "only %d of 80 damaged files refused", refused);
	gzc_index_free(idx);
	free(good);
	free(data);
}

/* The one-pass fallback (files that cannot be indexed): gzip with two
 * members, zlib, holes for zero blocks, a pipe, and damage: a flipped CRC,
 * a cut file, a flipped byte in the data. */
Test(extract, onepass_members_zlib_holes_damage)
{
	size_t a = 700000, b = 3 * 65536 + 17;
	unsigned char *data = alloc_mixed(a + b, 58);
	memset(data + 100000, 0, 200000);
	memset(data + a + b - 70000, 0, 70000); /* ends in zeros: a hole at the end */
	int in = out_file("two.gz");
	th_append_deflated(in, data, a, 6, 31);
	th_append_deflated(in, data + a, b, 6, 31);
	int out = out_file("o1");
	cr_assert_eq(gzc_extract_onepass(in, out, NULL, NULL), 0);
	size_t n;
	unsigned char *got = th_slurp(out, &n);
	cr_assert_eq(n, a + b);
	th_assert_bytes(got, data, a + b);
	free(got);
	struct stat st;
	cr_assert_eq(fstat(out, &st), 0);
	cr_assert_lt((size_t)st.st_blocks * 512, a + b - 200000, "zero blocks were written, not skipped");
	close(out);

	int p[2];
	cr_assert_eq(pipe(p), 0);
	int zfd = out_file("one.zz");
	th_append_deflated(zfd, data, 60000, 6, 15);
	cr_assert_eq(gzc_extract_onepass(zfd, p[1], NULL, NULL), 0);
	close(p[1]);
	unsigned char *buf = malloc(70000);
	ssize_t k = 0, r;
	while ((r = read(p[0], buf + k, 70000 - (size_t)k)) > 0)
		k += r;
	cr_assert_eq(k, 60000);
	th_assert_bytes(buf, data, 60000);
	close(p[0]);
	close(zfd);
	free(buf);

	size_t clen;
	unsigned char *good = th_slurp(in, &clen);
	struct { size_t at; int cut; } damage[] = { { clen - 6, 0 }, { clen / 3, 1 }, { clen / 2, 0 } };
	for (size_t d = 0; d < 3; d++) {
		int bad = out_file("bad.gz");
		if (damage[d].cut) {
			cr_assert_eq(gzc_write_all(bad, good, damage[d].at), 0);
		} else {
			cr_assert_eq(gzc_write_all(bad, good, clen), 0);
			unsigned char c = good[damage[d].at] ^ 0x20;
			cr_assert_eq(gzc_pwrite_all(bad, &c, 1, damage[d].at), 0);
		}
		out = out_file("o2");
		struct gzc_extract_stop st1 = { .coff = UINT64_MAX, .uoff = UINT64_MAX };
		cr_assert_eq(gzc_extract_onepass(bad, out, NULL, &st1), -EBADMSG, "damage %zu", d);
		cr_assert_eq(st1.side, GZC_EXTRACT_INPUT);
		cr_assert_leq(st1.coff, clen);
		cr_assert_leq(st1.uoff, a + b);
		close(out);
		/* the offsets are the core's, whatever the output held before */
		out = out_file("o3");
		cr_assert_eq(gzc_write_all(out, "HDR", 3), 0);
		struct gzc_extract_stop st2 = { .coff = UINT64_MAX, .uoff = UINT64_MAX };
		cr_assert_eq(gzc_extract_onepass(bad, out, NULL, &st2), -EBADMSG, "damage %zu", d);
		cr_assert_eq(st2.coff, st1.coff);
		cr_assert_eq(st2.uoff, st1.uoff, "damage %zu: uncompressed offset moved with the output's", d);
		close(out);
		close(bad);
	}
	free(good);
	close(in);
	free(data);
}

struct feed { int fd; const unsigned char *p; size_t n; int rc; };
static void *feed_pipe(void *arg)
{
	struct feed *f = arg;
	f->rc = gzc_write_all(f->fd, f->p, f->n);
	close(f->fd);
	return NULL;
}

/* Decompresses n bytes of compressed data fed through a pipe (read, not
 * pread: a stream) into the file "ps"; returns the result, *out_fd open. */
static int onepass_from_pipe(const unsigned char *c, size_t n, int *out_fd, struct gzc_extract_stop *stop)
{
	int p[2];
	pthread_t t;
	signal(SIGPIPE, SIG_IGN); /* a reader that stops early: EPIPE, not death */
	cr_assert_eq(pipe(p), 0);
	struct feed f = { p[1], c, n, 0 };
	cr_assert_eq(pthread_create(&t, NULL, feed_pipe, &f), 0);
	*out_fd = out_file("ps");
	int rc = gzc_extract_onepass(p[0], *out_fd, NULL, stop);
	close(p[0]);
	pthread_join(t, NULL);
	cr_assert(f.rc == 0 || rc < 0, "the pipe was not read to its end: %s", strerror(-f.rc));
	return rc;
}

/* Standard input (-d -f -): the compressed file comes through a pipe, two
 * gzip members, zero blocks still holes; a cut stream is -EBADMSG at the
 * offset where it stopped, an empty one at 0. */
Test(extract, onepass_from_a_pipe)
{
	size_t a = 500000, b = 400000;
	unsigned char *data = alloc_mixed(a + b, 59);
	memset(data + 100000, 0, 300000);
	int in = out_file("p.gz");
	th_append_deflated(in, data, a, 6, 31);
	th_append_deflated(in, data + a, b, 1, 31);
	size_t clen;
	unsigned char *c = th_slurp(in, &clen);
	int out;
	cr_assert_eq(onepass_from_pipe(c, clen, &out, NULL), 0);
	size_t n;
	unsigned char *got = th_slurp(out, &n);
	cr_assert_eq(n, a + b);
	th_assert_bytes(got, data, a + b);
	struct stat st;
	cr_assert_eq(fstat(out, &st), 0);
	cr_assert_lt((size_t)st.st_blocks * 512, a + b - 250000, "zero blocks were written, not skipped");
	free(got);
	close(out);

	struct gzc_extract_stop stop = { 0 };
	cr_assert_eq(onepass_from_pipe(c, clen / 2, &out, &stop), -EBADMSG);
	cr_assert_eq(stop.side, GZC_EXTRACT_INPUT);
	cr_assert_eq(stop.coff, clen / 2);
	cr_assert_leq(stop.uoff, a + b);
	close(out);
	stop = (struct gzc_extract_stop){ 0 };
	cr_assert_eq(onepass_from_pipe(c, 0, &out, &stop), -EBADMSG);
	cr_assert_eq(stop.side, GZC_EXTRACT_INPUT);
	cr_assert_eq(stop.coff, 0);
	close(out);
	free(c);
	close(in);
	free(data);
}

/* Outputs that are not a fresh, empty file: the core goes after what is
 * already written (a header on stdout), at the end of an O_APPEND file, and
 * over old bytes that a skipped zero span must not leave behind; both
 * extraction paths, with the offset left after the core. */
Test(extract, output_offset_append_and_old_bytes)
{
	size_t len = 9 * 65536 + 333;
	unsigned char *data = alloc_mixed(len, 61);
	memset(data + 2 * 65536, 0, 3 * 65536); /* zero spans, skipped when sparse */
	char path[128], opath[256];
	struct gzc_writer_opts o = { .span = 65536, .level = 1 };
	int in = th_compress(dir, "o.gz", data, len, &o, 0, NULL, path);
	struct gzc_reader *r = th_reader(path, NULL);
	static const char head[] = "HEADER\n";
	size_t hl = sizeof(head) - 1;
	unsigned char *want = malloc(hl + len);
	memcpy(want, head, hl);
	memcpy(want + hl, data, len);
	snprintf(opath, sizeof(opath), "%s/out", dir);
	for (int onepass = 0; onepass <= 1; onepass++) {
		for (int mode = 0; mode < 3; mode++) {
			int fd = out_file("out");
			size_t n, wlen = hl + len;
			if (mode == 2) { /* old bytes everywhere, offset back at the header's end */
				unsigned char *ff = malloc(hl + len + 100);
				memset(ff, 0xff, hl + len + 100);
				memcpy(ff, head, hl);
				cr_assert_eq(gzc_write_all(fd, ff, hl + len + 100), 0);
				free(ff);
				cr_assert_eq(lseek(fd, (off_t)hl, SEEK_SET), (off_t)hl);
			} else {
				cr_assert_eq(gzc_write_all(fd, head, hl), 0);
			}
			if (mode == 1) { /* append mode, the offset moved back to 0 */
				close(fd);
				fd = open(opath, O_RDWR | O_APPEND);
				cr_assert_geq(fd, 0);
			}
			int rc = onepass ? gzc_extract_onepass(in, fd, NULL, NULL) : gzc_extract(r, fd, NULL, NULL);
			cr_assert_eq(rc, 0, "onepass %d mode %d", onepass, mode);
			cr_assert_eq(lseek(fd, 0, SEEK_CUR), (off_t)wlen, "offset after the core (onepass %d mode %d)",
				     onepass, mode);
			unsigned char *got = th_slurp(fd, &n);
			cr_assert_geq(n, wlen, "onepass %d mode %d", onepass, mode);
			th_assert_bytes(got, want, wlen);
			free(got);
			close(fd);
		}
	}
	gzc_reader_close(r);
	close(in);
	free(want);
	free(data);
}

struct prog {
	uint64_t last_done, total, calls;
	uint64_t cancel_at;
};

static int on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct prog *p = ctx;
	p->calls++;
	if (done < p->last_done)
		p->total = UINT64_MAX; /* went backwards: recorded as a failure */
	else if (p->total != UINT64_MAX)
		p->total = total;
	p->last_done = done;
	return p->cancel_at && p->calls >= p->cancel_at;
}

Test(extract, progress_and_cancel)
{
	size_t len = 20 * 65536 + 9;
	unsigned char *data = alloc_mixed(len, 56);
	char path[128];
	struct gzc_writer_opts o = { .span = 65536 };
	close(th_compress(dir, "pr.gz", data, len, &o, 0, NULL, path));
	struct gzc_reader *r = th_reader(path, NULL);
	struct prog p = { 0 };
	struct gzc_extract_opts eo = { .threads = 2, .progress = on_progress, .progress_ctx = &p };
	int fd = out_file("pr");
	cr_assert_eq(gzc_extract(r, fd, &eo, NULL), 0);
	cr_assert_eq(p.total, len, "progress went backwards or had the wrong total");
	cr_assert_eq(p.last_done, len);
	cr_assert_eq(p.calls, 21u);
	close(fd);
	struct prog c = { .cancel_at = 3 };
	eo.progress_ctx = &c;
	fd = out_file("cancel");
	cr_assert_eq(gzc_extract(r, fd, &eo, NULL), -ECANCELED);
	close(fd);

	/* in order (an O_APPEND output): it stops at once, in the span whose
	 * progress call said so, having written just the spans before */
	char opath[256];
	snprintf(opath, sizeof(opath), "%s/cancel", dir);
	fd = open(opath, O_RDWR | O_APPEND | O_TRUNC);
	cr_assert_geq(fd, 0);
	c = (struct prog){ .cancel_at = 3 };
	struct gzc_extract_stop stop = { 0 };
	cr_assert_eq(gzc_extract(r, fd, &eo, &stop), -ECANCELED);
	cr_assert_eq(c.calls, 3u);
	cr_assert_eq(c.last_done, 3 * 65536u);
	cr_assert_eq(stop.side, GZC_EXTRACT_OTHER);
	cr_assert_eq(stop.uoff, 2 * 65536u);
	cr_assert_eq(stop.coff, gzc_reader_index(r)->spans[2].coff);
	size_t n;
	unsigned char *got = th_slurp(fd, &n);
	cr_assert_eq(n, 3 * 65536u);
	th_assert_bytes(got, data, n);
	free(got);
	close(fd);
	gzc_reader_close(r);
	free(data);
}

Test(extract, empty_core)
{
	char path[128];
	close(th_compress(dir, "e.gz", "", 0, NULL, 0, NULL, path));
	struct gzc_reader *r = th_reader(path, NULL);
	int fd = out_file("e");
	cr_assert_eq(gzc_extract(r, fd, NULL, NULL), 0);
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_size, 0);
	close(fd);
	gzc_reader_close(r);
}
