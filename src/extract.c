/*
 * extract.c — parallel, sparse extraction of a whole core.
 */
#include "extract.h"
#include "engine.h"
#include "format.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct job {
	struct gzc_reader *r;
	const struct gzc_index *idx;
	int fd;
	off_t base;          /* output offset of the core's byte 0 */
	size_t bufcap;
	pthread_mutex_t mu;
	uint32_t next;       /* next span to take */
	uint64_t done_bytes;
	int err;
	enum gzc_extract_side side;
	uint32_t bad_span;
	const struct gzc_extract_opts *opts;
};

static void fail(struct job *j, int err, enum gzc_extract_side side, uint32_t span)
{
	if (!j->err) {
		j->err = err;
		j->side = side;
		j->bad_span = span;
	}
}

/* The side a failed decode of a span is on: running out of memory (or a
 * buffer too small, a bug) is no fault of the input. */
static enum gzc_extract_side decode_side(long n)
{
	return n == -ENOMEM || n == -EINVAL ? GZC_EXTRACT_OTHER : GZC_EXTRACT_INPUT;
}

static void *extract_worker(void *arg)
{
	struct job *j = arg;
	unsigned char *buf = malloc(j->bufcap);

	pthread_mutex_lock(&j->mu);
	if (!buf)
		fail(j, -ENOMEM, GZC_EXTRACT_OTHER, j->next);
	while (!j->err && j->next < j->idx->nspans) {
		uint32_t i = j->next++;
		pthread_mutex_unlock(&j->mu);
		const struct gzc_span *s = &j->idx->spans[i];
		uint64_t len = gzc_index_span_len(j->idx, i);
		int rc = 0;
		enum gzc_extract_side side = GZC_EXTRACT_OUTPUT;
		int z = gzc_reader_span_zero(j->r, i);
		if (z < 0) {
			rc = z, side = decode_side(z);
		} else if (!z) {
			long n = gzc_reader_decode_span(j->r, i, buf, j->bufcap);
			if (n < 0)
				rc = (int)n, side = decode_side(n);
			else
				rc = gzc_pwrite_all(j->fd, buf, (size_t)len, j->base + (off_t)s->uoff);
		}
		pthread_mutex_lock(&j->mu);
		if (rc < 0) {
			fail(j, rc, side, i);
			break;
		}
		j->done_bytes += len;
		if (j->opts->progress && j->opts->progress(j->opts->progress_ctx, j->done_bytes, j->idx->usize))
			fail(j, -ECANCELED, GZC_EXTRACT_OTHER, i);
	}
	pthread_mutex_unlock(&j->mu);
	free(buf);
	return NULL;
}

static size_t max_span(const struct gzc_index *idx)
{
	uint64_t m = 0;
	for (uint32_t i = 0; i < idx->nspans; i++) {
		uint64_t l = gzc_index_span_len(idx, i);
		if (l > m)
			m = l;
	}
	return (size_t)m;
}

/* Where positioned, sparse writes may start: the current offset of a
 * regular file that has nothing at or after it and is not in append mode.
 * -1: write in order instead, zeros included (a pipe or a device, where a
 * skipped range would keep old bytes; an O_APPEND file, where pwrite
 * appends; a file with bytes past the offset). */
static off_t sparse_base(int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);
	off_t pos = lseek(fd, 0, SEEK_CUR);
	if (fl < 0 || (fl & O_APPEND) || pos < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > pos)
		return -1;
	return pos;
}

/* In order, from the current offset: zero spans are written as zeros. */
static int extract_stream(struct job *j)
{
	unsigned char *buf = malloc(j->bufcap ? j->bufcap : 1);
	int rc = 0;
	if (!buf) {
		fail(j, -ENOMEM, GZC_EXTRACT_OTHER, 0);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < j->idx->nspans && rc == 0; i++) {
		uint64_t len = gzc_index_span_len(j->idx, i);
		long n = gzc_reader_decode_span(j->r, i, buf, j->bufcap);
		if (n < 0) {
			rc = (int)n;
			fail(j, rc, decode_side(n), i);
			break;
		}
		rc = gzc_write_all(j->fd, buf, (size_t)len);
		if (rc < 0) {
			fail(j, rc, GZC_EXTRACT_OUTPUT, i);
			break;
		}
		j->done_bytes += len;
		if (j->opts->progress && j->opts->progress(j->opts->progress_ctx, j->done_bytes, j->idx->usize)) {
			rc = -ECANCELED;
			fail(j, rc, GZC_EXTRACT_OTHER, i);
		}
	}
	free(buf);
	return rc;
}

int gzc_extract(struct gzc_reader *r, int out_fd, const struct gzc_extract_opts *opts,
		struct gzc_extract_stop *ret_stop)
{
	static const struct gzc_extract_opts defaults;
	struct job j;
	int threads;

	if (!opts)
		opts = &defaults;
	memset(&j, 0, sizeof(j));
	j.r = r;
	j.idx = gzc_reader_index(r);
	j.fd = out_fd;
	j.opts = opts;
	j.bufcap = max_span(j.idx);
	pthread_mutex_init(&j.mu, NULL);

	j.base = sparse_base(out_fd);
	if (j.base < 0) {
		extract_stream(&j);
	} else {
		threads = opts->threads;
		if (threads <= 0) {
			long n = sysconf(_SC_NPROCESSORS_ONLN);
			threads = n > 0 ? (int)n : 1;
		}
		if ((uint32_t)threads > j.idx->nspans)
			threads = j.idx->nspans ? (int)j.idx->nspans : 1;
		pthread_t *tids = calloc((size_t)threads, sizeof(*tids));
		int started = 0;
		if (!tids) {
			fail(&j, -ENOMEM, GZC_EXTRACT_OTHER, 0);
		} else {
			for (int t = 1; t < threads; t++)
				if (pthread_create(&tids[started], NULL, extract_worker, &j) == 0)
					started++;
			extract_worker(&j);
			for (int t = 0; t < started; t++)
				pthread_join(tids[t], NULL);
			free(tids);
		}
		/* the size, including a hole at the end; the offset after the core,
		 * as a stream write would leave it */
		off_t end = j.base + (off_t)j.idx->usize;
		if (!j.err && (ftruncate(out_fd, end) < 0 || lseek(out_fd, end, SEEK_SET) < 0))
			fail(&j, -errno, GZC_EXTRACT_OUTPUT, j.idx->nspans);
	}
	pthread_mutex_destroy(&j.mu);
	if (j.err && ret_stop) {
		int in = j.bad_span < j.idx->nspans;
		*ret_stop = (struct gzc_extract_stop){
			.side = j.side,
			.coff = in ? j.idx->spans[j.bad_span].coff : j.idx->csize,
			.uoff = in ? j.idx->spans[j.bad_span].uoff : j.idx->usize,
		};
	}
	return j.err;
}

#define ONEPASS_IN (256u * 1024)
#define ONEPASS_OUT (1u << 20)
#define HOLE_BLOCK 4096u

/* Writes n bytes at *pos; whole zero blocks of a seekable output are
 * skipped (holes) when sparse. */
static int onepass_write(int fd, const unsigned char *p, size_t n, uint64_t *pos, int sparse)
{
	size_t i = 0;
	while (sparse && i < n) {
		size_t k = n - i < HOLE_BLOCK ? n - i : HOLE_BLOCK;
		if (k == HOLE_BLOCK && gzc_is_zero(p + i, k)) {
			i += k;
			continue;
		}
		int r = gzc_pwrite_all(fd, p + i, k, (off_t)(*pos + i));
		if (r < 0)
			return r;
		i += k;
	}
	if (!sparse && n) {
		int r = gzc_write_all(fd, p, n);
		if (r < 0)
			return r;
	}
	*pos += n;
	return 0;
}

/* Reads the next bytes of the input at off: with pread from a file, with
 * read from a pipe or a socket (a stream). */
static ssize_t onepass_read(int fd, int stream, unsigned char *buf, size_t n, uint64_t off)
{
	return stream ? gzc_read_all(fd, buf, n) : gzc_pread_all(fd, buf, n, off);
}

int gzc_extract_onepass(int in_fd, int out_fd, const struct gzc_extract_opts *opts, struct gzc_extract_stop *ret_stop)
{
	static const struct gzc_extract_opts defaults;
	unsigned char *in = malloc(ONEPASS_IN), *out = malloc(ONEPASS_OUT);
	uint64_t cpos = 0, upos = 0, csize, bad_coff = 0;
	z_stream zs;
	struct stat st;
	int rc = 0, ready = 0, sparse = 0, stream;
	off_t start = 0;
	enum gzc_extract_side side = GZC_EXTRACT_OTHER;

	if (!opts)
		opts = &defaults;
	memset(&zs, 0, sizeof(zs));
	if (!in || !out) {
		rc = -ENOMEM;
		goto out;
	}
	if (fstat(in_fd, &st) < 0) {
		rc = -errno;
		side = GZC_EXTRACT_INPUT;
		goto out;
	}
	stream = (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) || opts->sequential;
	csize = stream ? 0 : (uint64_t)st.st_size;
	start = sparse_base(out_fd);
	sparse = start >= 0;
	if (sparse)
		upos = (uint64_t)start;
	/* the first bytes say gzip or zlib */
	ssize_t hn = onepass_read(in_fd, stream, in, ONEPASS_IN, 0);
	if (hn < 2) {
		rc = hn < 0 ? (int)hn : -EBADMSG;
		goto bad;
	}
	zs.next_in = in;
	zs.avail_in = (uInt)hn;
	cpos = (uint64_t)hn;
	int gzip = in[0] == GZC_GZ_ID1 && in[1] == GZC_GZ_ID2;
	if (inflateInit2(&zs, gzip ? 31 : 15) != Z_OK) {
		rc = -ENOMEM;
		goto out;
	}
	ready = 1;
	for (;;) {
		if (zs.avail_in == 0) {
			ssize_t n = onepass_read(in_fd, stream, in, ONEPASS_IN, cpos);
			if (n < 0) {
				rc = (int)n;
				goto bad;
			}
			if (n == 0) {
				rc = -EBADMSG; /* truncated */
				goto bad;
			}
			zs.next_in = in;
			zs.avail_in = (uInt)n;
			cpos += (uint64_t)n;
			if (opts->progress && opts->progress(opts->progress_ctx, cpos, csize)) {
				rc = -ECANCELED;
				goto out;
			}
		}
		zs.next_out = out;
		zs.avail_out = ONEPASS_OUT;
		int zr = inflate(&zs, Z_NO_FLUSH);
		size_t got = ONEPASS_OUT - zs.avail_out;
		if (zr != Z_OK && zr != Z_STREAM_END && !(zr == Z_BUF_ERROR && zs.avail_in == 0)) {
			rc = -EBADMSG; /* corrupt, or a CRC or size that does not match */
			goto bad;
		}
		if ((rc = onepass_write(out_fd, out, got, &upos, sparse)) < 0) {
			side = GZC_EXTRACT_OUTPUT;
			goto out;
		}
		if (zr != Z_STREAM_END)
			continue;
		/* another gzip member follows? anything else after the end is ignored, as gzip does */
		if (!gzip)
			break;
		if (zs.avail_in < 2) {
			memmove(in, zs.next_in, zs.avail_in);
			ssize_t n = onepass_read(in_fd, stream, in + zs.avail_in, ONEPASS_IN - zs.avail_in, cpos);
			if (n < 0) {
				rc = (int)n;
				goto bad;
			}
			cpos += (uint64_t)n;
			zs.next_in = in;
			zs.avail_in += (uInt)n;
		}
		if (zs.avail_in < 2 || zs.next_in[0] != GZC_GZ_ID1 || zs.next_in[1] != GZC_GZ_ID2)
			break;
		if (inflateReset(&zs) != Z_OK) {
			rc = -ENOMEM;
			goto out;
		}
	}
	/* the size, including zeros at the end that became a hole */
	if (sparse && (ftruncate(out_fd, (off_t)upos) < 0 || lseek(out_fd, (off_t)upos, SEEK_SET) < 0)) {
		rc = -errno;
		side = GZC_EXTRACT_OUTPUT;
	}
	goto out;
bad:
	/* the input: data that did not decode (where inflate stopped), or a
	 * read that failed (the offset it read at) */
	side = GZC_EXTRACT_INPUT;
	bad_coff = rc == -EBADMSG ? cpos - zs.avail_in : cpos;
out:
	if (rc < 0 && ret_stop)
		*ret_stop = (struct gzc_extract_stop){
			.side = side,
			.coff = side == GZC_EXTRACT_INPUT ? bad_coff : cpos,
			.uoff = sparse ? upos - (uint64_t)start : upos, /* in the core, not the output */
		};
	if (ready)
		inflateEnd(&zs);
	free(in);
	free(out);
	return rc;
}
