/*
 * writer.c — parallel span compressor with in-order output (pigz's shape).
 *
 * A ring of slots carries each span from "filling" (the caller's thread
 * copies or reads into it; for a regular input file the worker preads it
 * itself, see read_parallel) to "queued" (a worker takes it) to "done" and
 * back to "free" once the caller's thread has written it out. Only the
 * caller's thread touches the output fd, so output order is the ring order.
 * All-zero spans are not compressed again: one template, made at start-up,
 * serves them all.
 *
 * Lock: w->mu guards slot states, w->stop and the worker wake-ups. Slot
 * buffers belong to whoever moved the slot into its current state.
 */
#include "writer.h"
#include "engine.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define WRITEBACK_CHUNK (8u << 20)

enum slot_state { SLOT_FREE, SLOT_FILLING, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

struct slot {
	unsigned char *in, *out;
	size_t inlen;
	long outlen;       /* < 0: -errno from the engine */
	uint32_t crc, adler;
	uint32_t *segs;    /* CRC-32 of each GZC_SEG_SIZE piece */
	uint32_t nsegs;
	int zero;
	off_t src_off;     /* want > 0: the worker preads want bytes from here */
	size_t want;
	int rderr;         /* -errno of that pread */
	int hole;          /* those bytes are a hole of the file: zeros, not read */
	enum slot_state state;
	uint64_t seq;
};

struct gzc_writer {
	int fd;
	int level;
	enum gzc_container container;
	uint32_t span;
	size_t outcap;

	pthread_mutex_t mu;
	pthread_cond_t work, done;
	pthread_t *threads;
	int nthreads;
	int stop;

	struct slot *slots;
	size_t nslots;
	unsigned char *in_area, *out_area; /* the slots' buffers, one area each */
	struct slot *cur;          /* slot being filled, or NULL */
	uint64_t fill_seq;         /* seq of the next slot to fill */
	uint64_t write_seq;        /* seq of the next slot to write */

	unsigned char *zero_out;   /* compressed all-zero span */
	long zero_len;
	uint32_t zero_crc, zero_adler;

	struct gzc_index *idx;
	uint32_t *adlers;          /* per written span, for the zlib trailer */
	size_t adlers_cap;
	uint64_t bytes_in;         /* taken from the caller */
	unsigned char *head;       /* copy of the first GZC_WRITER_HEAD_MAX bytes */
	uint64_t synced;           /* output handed to writeback so far */
	uint64_t usize;            /* covered by spans written */
	uint64_t coff;             /* bytes of output written */
	uint64_t header_len;
	int err;                   /* first output error, sticky */
	int src_fd;                /* input file the workers pread from */
	int in_stop;               /* parallel input ended (short read, error) */
	int in_err;                /* -errno of a worker's pread */
	const unsigned char *short_in; /* data of a short parallel read, to refill */
	size_t short_len;
};

/* Reads a slot's input from the source file (parallel input, see
 * read_parallel). A short count means the file ended there. */
static void pread_slot(struct gzc_writer *w, struct slot *s)
{
	size_t got = 0;
	s->rderr = 0;
	while (got < s->want) {
		ssize_t n = pread(w->src_fd, s->in + got, s->want - got, s->src_off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			s->rderr = -errno;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	s->inlen = got;
}

/* Whether a slot's range lies in a hole of a sparse input file (a core the
 * kernel wrote to a file skips unmapped and zero pages this way): then it
 * reads as zeros without reading it. SEEK_DATA moves the shared file
 * offset, which read_parallel() sets right at the end. A file system
 * without holes reports data everywhere. Only data found at or past the
 * range's end proves a hole in one step: "no data from here on" (ENXIO)
 * is also what a file cut short says, and one that grows back before a
 * second look would pass for zeros, so such a range (a hole at the file's
 * end) is read. */
static int slot_in_hole(struct gzc_writer *w, const struct slot *s)
{
	off_t end = s->src_off + (off_t)s->want;
	off_t d = lseek(w->src_fd, s->src_off, SEEK_DATA);
	return d >= 0 && d >= end;
}

static void compress_slot(struct gzc_writer *w, struct gzc_deflater *d, struct slot *s)
{
	s->hole = 0;
	if (s->want == w->span && slot_in_hole(w, s)) {
		s->hole = s->zero = 1;
		s->rderr = 0;
		s->inlen = s->want;
		s->crc = w->zero_crc;
		s->adler = w->zero_adler;
		s->outlen = w->zero_len;
		return;
	}
	if (s->want) {
		pread_slot(w, s);
		if (s->rderr || s->inlen == 0) {
			s->outlen = 0;
			return;
		}
	}
	if (s->inlen == w->span && gzc_is_zero(s->in, s->inlen)) {
		s->zero = 1;
		s->crc = w->zero_crc;
		s->adler = w->zero_adler;
		s->outlen = w->zero_len;
		return;
	}
	s->zero = 0;
	s->crc = 0;
	s->nsegs = 0;
	for (size_t off = 0; off < s->inlen; off += GZC_SEG_SIZE) {
		size_t n = s->inlen - off < GZC_SEG_SIZE ? s->inlen - off : GZC_SEG_SIZE;
		uint32_t c = gzc_crc32(0, s->in + off, n);
		s->segs[s->nsegs++] = c;
		s->crc = off ? (uint32_t)crc32_combine(s->crc, c, (z_off_t)n) : c;
	}
	s->adler = w->container == GZC_ZLIB ? gzc_adler32(1, s->in, s->inlen) : 1;
	s->outlen = gzc_deflate_span(d, s->in, s->inlen, s->out, w->outcap);
}

static void *worker(void *arg)
{
	struct gzc_writer *w = arg;
	struct gzc_deflater *d = NULL;
	int derr = gzc_deflater_new(w->level, &d);

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct slot *pick = NULL;
		for (size_t i = 0; i < w->nslots; i++) {
			struct slot *s = &w->slots[i];
			if (s->state == SLOT_QUEUED && (!pick || s->seq < pick->seq))
				pick = s;
		}
		if (!pick) {
			if (w->stop)
				break;
			pthread_cond_wait(&w->work, &w->mu);
			continue;
		}
		pick->state = SLOT_BUSY;
		pthread_mutex_unlock(&w->mu);
		if (derr < 0)
			pick->outlen = derr;
		else
			compress_slot(w, d, pick);
		pthread_mutex_lock(&w->mu);
		pick->state = SLOT_DONE;
		pthread_cond_broadcast(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	gzc_deflater_free(d);
	return NULL;
}

static int write_header(struct gzc_writer *w, uint32_t mtime)
{
	unsigned char h[GZC_GZ_HEADER_LEN];
	size_t n;

	if (w->container == GZC_ZLIB) {
		unsigned flevel = w->level <= 1 ? 0 : w->level <= 5 ? 1 : w->level == 6 ? 2 : 3;
		unsigned cmf = 0x78, flg = flevel << 6;
		flg += 31 - (cmf * 256 + flg) % 31;
		h[0] = (unsigned char)cmf;
		h[1] = (unsigned char)flg;
		n = GZC_ZLIB_HEADER_LEN;
	} else {
		h[0] = GZC_GZ_ID1;
		h[1] = GZC_GZ_ID2;
		h[2] = GZC_GZ_CM_DEFLATE;
		h[3] = GZC_GZ_FLG_FEXTRA;
		gzc_put_le32(h + 4, mtime);
		h[8] = w->level >= 9 ? 2 : w->level <= 1 ? 4 : 0; /* XFL */
		h[9] = GZC_GZ_OS_UNIX;
		gzc_put_le16(h + 10, GZC_GZ_SUBFIELD_HDR + GZC_GZ_EXTRA_PAYLOAD);
		h[12] = GZC_GZ_SI1;
		h[13] = GZC_GZ_SI2;
		gzc_put_le16(h + 14, GZC_GZ_EXTRA_PAYLOAD);
		h[16] = GZC_GZ_EXTRA_VERSION;
		h[17] = GZC_EXTRA_FLAG_INDEPENDENT;
		gzc_put_le32(h + 18, w->span);
		h[22] = h[23] = 0;
		n = GZC_GZ_HEADER_LEN;
	}
	int r = gzc_pwrite_all(w->fd, h, n, 0);
	if (r < 0)
		return r;
	w->header_len = w->coff = n;
	return 0;
}

/* Span buffers are touched end to end for every span: the slots' inputs
 * share one area and their outputs another, each backed with huge pages
 * where the kernel allows. An area may then occupy whole 2 MiB pages:
 * budgets count it so. */
#define HUGE_PAGE (2u << 20)
static size_t huge_round(size_t n) { return (n + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE; }

static void *alloc_big(size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, HUGE_PAGE, n) != 0)
		return NULL;
	madvise(p, n, MADV_HUGEPAGE);
	return p;
}

static int make_zero_template(struct gzc_writer *w)
{
	struct gzc_deflater *d;
	unsigned char *zeros = calloc(1, w->span);
	int r;

	if (!zeros)
		return -ENOMEM;
	r = gzc_deflater_new(w->level, &d);
	if (r == 0) {
		w->zero_len = gzc_deflate_span(d, zeros, w->span, w->zero_out, w->outcap);
		gzc_deflater_free(d);
		r = w->zero_len < 0 ? (int)w->zero_len : 0;
	}
	w->zero_crc = gzc_crc32(0, zeros, w->span);
	w->zero_adler = gzc_adler32(1, zeros, w->span);
	free(zeros);
	return r;
}

int gzc_writer_new(int out_fd, const struct gzc_writer_opts *opts, struct gzc_writer **ret)
{
	struct gzc_writer *w;
	int r, level = opts && opts->level ? opts->level : GZC_LEVEL_DEFAULT;
	uint32_t span = opts && opts->span ? opts->span : level >= GZC_LEVEL_MAX ? GZC_SPAN_DEFAULT_BEST : GZC_SPAN_DEFAULT;
	int threads = opts ? opts->threads : 0;
	enum gzc_container container = opts ? opts->container : GZC_GZIP;

	if (level < GZC_LEVEL_MIN || level > GZC_LEVEL_MAX || span < GZC_SPAN_MIN || span > GZC_SPAN_MAX ||
	    threads < 0 || (container != GZC_GZIP && container != GZC_ZLIB))
		return -EINVAL;
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (int)n : 1;
	}
	if (threads > 64)
		threads = 64;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = out_fd;
	w->level = level;
	w->span = span;
	w->container = container;
	w->outcap = gzc_deflate_bound(span);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);

	/* two slots per worker keep them busy while the caller's thread reads
	 * and writes; past GZC_WRITER_MEM_BUDGET, fewer (never below one per
	 * worker plus the one being filled) */
	size_t outstride = (w->outcap + 63) & ~(size_t)63;
	w->nslots = (size_t)threads * 2 + 2;
	while (w->nslots > (size_t)threads + 1 &&
	       huge_round(w->nslots * span) + huge_round(w->nslots * outstride) > GZC_WRITER_MEM_BUDGET)
		w->nslots--;
	w->slots = calloc(w->nslots, sizeof(*w->slots));
	w->threads = calloc((size_t)threads, sizeof(*w->threads));
	w->zero_out = malloc(w->outcap);
	w->head = malloc(GZC_WRITER_HEAD_MAX);
	if (!w->slots || !w->threads || !w->zero_out || !w->head) {
		r = -ENOMEM;
		goto fail;
	}
	w->in_area = alloc_big(huge_round(w->nslots * span));
	w->out_area = alloc_big(huge_round(w->nslots * outstride));
	if (!w->in_area || !w->out_area) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < w->nslots; i++) {
		w->slots[i].in = w->in_area + i * span;
		w->slots[i].out = w->out_area + i * outstride;
		w->slots[i].segs = malloc(sizeof(uint32_t) * (span / GZC_SEG_SIZE + 1));
		if (!w->slots[i].segs) {
			r = -ENOMEM;
			goto fail;
		}
	}
	r = gzc_index_new(span, container == GZC_ZLIB ? GZC_IDX_F_ZLIB : 0, &w->idx);
	if (r < 0)
		goto fail;
	w->idx->seg_size = GZC_SEG_SIZE;
	r = make_zero_template(w);
	if (r < 0)
		goto fail;
	r = write_header(w, opts ? opts->mtime : 0);
	if (r < 0)
		goto fail;
	for (int i = 0; i < threads; i++) {
		r = -pthread_create(&w->threads[i], NULL, worker, w);
		if (r < 0)
			goto fail;
		w->nthreads++;
	}
	*ret = w;
	return 0;
fail:
	gzc_writer_free(w);
	return r;
}

/* Records an output error: cut the file back to the last whole span. */
static void output_failed(struct gzc_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	if (ftruncate(w->fd, (off_t)w->coff) < 0) {
		/* nothing more to do: finish() will report the failure */
	}
}

static int push_adler(struct gzc_writer *w, uint32_t adler)
{
	if (w->idx->nspans > w->adlers_cap) {
		size_t cap = w->adlers_cap ? w->adlers_cap * 2 : 64;
		while (cap < w->idx->nspans)
			cap *= 2;
		uint32_t *a = realloc(w->adlers, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		w->adlers = a;
		w->adlers_cap = cap;
	}
	w->adlers[w->idx->nspans - 1] = adler;
	return 0;
}

/* Keeps a copy of the input's first bytes (see gzc_writer_head); p == NULL: zeros. */
static void keep_head(struct gzc_writer *w, const unsigned char *p, size_t n)
{
	if (w->bytes_in >= GZC_WRITER_HEAD_MAX)
		return;
	size_t k = GZC_WRITER_HEAD_MAX - w->bytes_in < n ? (size_t)(GZC_WRITER_HEAD_MAX - w->bytes_in) : n;
	if (p)
		memcpy(w->head + w->bytes_in, p, k);
	else
		memset(w->head + w->bytes_in, 0, k); /* a hole */
}

/* Waits for the oldest span, writes it out and frees its slot. */
static void write_next(struct gzc_writer *w)
{
	struct slot *s = &w->slots[w->write_seq % w->nslots];

	pthread_mutex_lock(&w->mu);
	while (s->state != SLOT_DONE)
		pthread_cond_wait(&w->done, &w->mu);
	pthread_mutex_unlock(&w->mu);

	int keep = !w->err;
	if (s->want) { /* parallel input: taken here, in stream order */
		if (w->in_stop || s->rderr || s->inlen == 0) {
			if (!w->in_stop && s->rderr)
				w->in_err = s->rderr;
			w->in_stop = 1;
			keep = 0;
		} else {
			keep_head(w, s->hole ? NULL : s->in, s->inlen);
			w->bytes_in += s->inlen;
			if (s->inlen < s->want) {
				/* the file ended here: later slots are dropped, and this
				 * one is not a span yet (only the last span may be short);
				 * read_parallel() refills its data as the open slot */
				w->in_stop = 1;
				w->short_in = s->in;
				w->short_len = s->inlen;
				keep = 0;
			}
		}
	}
	if (keep) {
		int r = s->outlen < 0 ? (int)s->outlen : 0;
		if (r == 0)
			r = gzc_pwrite_all(w->fd, s->zero ? w->zero_out : s->out, (size_t)s->outlen, w->coff);
		if (r == 0) {
			struct gzc_span sp = { .uoff = w->usize, .coff = w->coff, .crc = s->crc,
					       .flags = s->zero ? GZC_SPAN_F_ZERO : 0 };
			r = gzc_index_append_ex(w->idx, &sp, NULL, 0, s->segs, s->zero ? 0 : s->nsegs);
			if (r == 0 && w->container == GZC_ZLIB && (r = push_adler(w, s->adler)) < 0)
				gzc_index_pop(w->idx);
		}
		if (r < 0) {
			output_failed(w, r);
		} else {
			w->usize += s->inlen;
			w->coff += (uint64_t)s->outlen;
			/* start writeback as we go, so the caller's final fsync is short;
			 * a file system without it simply waits for that fsync */
			if (w->coff - w->synced >= WRITEBACK_CHUNK) {
				sync_file_range(w->fd, (off_t)w->synced, (off_t)(w->coff - w->synced), SYNC_FILE_RANGE_WRITE);
				w->synced = w->coff;
			}
		}
	}
	pthread_mutex_lock(&w->mu);
	s->state = SLOT_FREE;
	s->inlen = 0;
	s->want = 0;
	pthread_mutex_unlock(&w->mu);
	w->write_seq++;
}

/* Gives back a slot taken for filling but not submitted. */
static void set_free(struct gzc_writer *w, struct slot *s)
{
	pthread_mutex_lock(&w->mu);
	s->state = SLOT_FREE;
	pthread_mutex_unlock(&w->mu);
}

static struct slot *fill_slot(struct gzc_writer *w)
{
	if (w->cur)
		return w->cur;
	struct slot *s = &w->slots[w->fill_seq % w->nslots];
	for (;;) {
		pthread_mutex_lock(&w->mu);
		int free_now = s->state == SLOT_FREE;
		if (free_now)
			s->state = SLOT_FILLING;
		pthread_mutex_unlock(&w->mu);
		if (free_now)
			break;
		write_next(w); /* the oldest slot: this one, once a worker is done */
	}
	s->inlen = 0;
	s->seq = w->fill_seq;
	w->cur = s;
	return s;
}

static void submit(struct gzc_writer *w)
{
	struct slot *s = w->cur;
	w->cur = NULL;
	pthread_mutex_lock(&w->mu);
	s->state = SLOT_QUEUED;
	w->fill_seq++;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
}

int gzc_writer_write(struct gzc_writer *w, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	while (len > 0 && !w->err) {
		struct slot *s = fill_slot(w);
		size_t n = w->span - s->inlen;
		if (n > len)
			n = len;
		memcpy(s->in + s->inlen, p, n);
		keep_head(w, s->in + s->inlen, n);
		s->inlen += n;
		w->bytes_in += n;
		p += n;
		len -= n;
		if (s->inlen == w->span)
			submit(w);
	}
	return w->err;
}

/* Whole spans of a regular file: each worker preads its own span, so
 * reading the input runs on every CPU instead of on the caller's thread
 * alone. Returns 0 or the -errno of a read; *taken gets the bytes taken,
 * and the file offset is left just past them, as read() would. */
static int read_parallel(struct gzc_writer *w, int fd, uint64_t max, uint64_t *taken)
{
	struct stat st;
	off_t pos;

	*taken = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (pos = lseek(fd, 0, SEEK_CUR)) < 0 ||
	    st.st_size <= pos)
		return 0;
	uint64_t avail = (uint64_t)(st.st_size - pos);
	if (max && avail > max)
		avail = max;
	uint64_t nspans = avail / w->span, issued = 0;
	uint64_t before = w->bytes_in;

	w->src_fd = fd;
	w->in_stop = 0;
	w->in_err = 0;
	w->short_in = NULL;
	while (issued < nspans) {
		struct slot *s = fill_slot(w);
		if (w->err || w->in_stop) {
			/* writing out a slot to free this one ended the input: give it
			 * back untouched (it may hold a short read's data) */
			set_free(w, s);
			w->cur = NULL;
			break;
		}
		s->src_off = pos + (off_t)(issued * w->span);
		s->want = w->span;
		submit(w);
		issued++;
	}
	while (w->write_seq < w->fill_seq)
		write_next(w);
	if (w->short_in) {
		/* every slot is free and no worker touches a free one: the short
		 * data is still there to become the slot being filled */
		struct slot *c = fill_slot(w);
		memmove(c->in, w->short_in, w->short_len);
		c->inlen = w->short_len;
		w->short_in = NULL;
	}
	*taken = w->bytes_in - before;
	if (lseek(fd, pos + (off_t)*taken, SEEK_SET) < 0 && !w->in_err)
		w->in_err = -errno;
	return w->in_err;
}

int gzc_writer_read_fd(struct gzc_writer *w, int in_fd, uint64_t max, uint64_t *ret_taken)
{
	uint64_t taken = 0;
	int r = 0, tried_parallel = 0;

	for (;;) {
		if (w->err) {
			r = w->err;
			break;
		}
		if (max && taken >= max) {
			r = 1;
			break;
		}
		if (!tried_parallel && !w->cur) { /* once, from a span boundary */
			uint64_t got;
			tried_parallel = 1;
			r = read_parallel(w, in_fd, max ? max - taken : 0, &got);
			taken += got;
			if (r < 0)
				break;
			continue;
		}
		struct slot *s = fill_slot(w);
		size_t want = w->span - s->inlen;
		if (max && want > max - taken)
			want = (size_t)(max - taken);
		ssize_t n = read(in_fd, s->in + s->inlen, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		keep_head(w, s->in + s->inlen, (size_t)n);
		s->inlen += (size_t)n;
		w->bytes_in += (uint64_t)n;
		taken += (uint64_t)n;
		if (s->inlen == w->span)
			submit(w);
	}
	if (ret_taken)
		*ret_taken = taken;
	return r;
}

/* The trailer's check value: the stream's CRC-32 (gzip) or Adler-32 (zlib). */
static uint32_t combined_check(const struct gzc_writer *w)
{
	const struct gzc_index *idx = w->idx;
	if (w->container != GZC_ZLIB)
		return gzc_index_combined_crc(idx);
	uint32_t v = 1;
	for (uint32_t i = 0; i < idx->nspans; i++)
		v = (uint32_t)adler32_combine(v, w->adlers[i], (z_off_t)gzc_index_span_len(idx, i));
	return v;
}

static int write_trailer(struct gzc_writer *w)
{
	unsigned char t[GZC_FINAL_BLOCK_LEN + GZC_GZ_TRAILER_LEN];
	size_t n = GZC_FINAL_BLOCK_LEN;
	uint32_t check = combined_check(w);

	t[0] = GZC_FINAL_BLOCK_0;
	t[1] = GZC_FINAL_BLOCK_1;
	if (w->container == GZC_ZLIB) {
		gzc_put_be32(t + n, check);
		n += GZC_ZLIB_TRAILER_LEN;
	} else {
		gzc_put_le32(t + n, check);
		gzc_put_le32(t + n + 4, (uint32_t)w->idx->usize);
		n += GZC_GZ_TRAILER_LEN;
	}
	int r = gzc_pwrite_all(w->fd, t, n, w->coff);
	if (r == 0 && ftruncate(w->fd, (off_t)(w->coff + n)) < 0)
		r = -errno;
	return r;
}

int gzc_writer_finish(struct gzc_writer *w, uint32_t extra_flags, struct gzc_index **ret_index)
{
	int r;

	if (w->cur && w->cur->inlen > 0 && !w->err)
		submit(w);
	else if (w->cur) {
		set_free(w, w->cur);
		w->cur = NULL;
	}
	while (w->write_seq < w->fill_seq)
		write_next(w);

	w->idx->usize = w->usize;
	for (;;) {
		r = write_trailer(w);
		if (r != -ENOSPC && r != -EDQUOT)
			break;
		/* disk full: give back the last span's space and try again */
		if (!w->err)
			w->err = r;
		if (w->idx->nspans == 0)
			break;
		w->coff = w->idx->spans[w->idx->nspans - 1].coff;
		w->usize = w->idx->spans[w->idx->nspans - 1].uoff;
		gzc_index_pop(w->idx);
		w->idx->usize = w->usize;
		if (ftruncate(w->fd, (off_t)w->coff) < 0)
			return -errno;
	}
	if (r < 0)
		return r;
	w->idx->data_crc = gzc_index_combined_crc(w->idx);
	w->idx->flags |= extra_flags | (w->err ? GZC_IDX_F_TRUNCATED : 0);
	r = gzc_index_fingerprint(w->fd, w->idx);
	if (r < 0)
		return r;
	*ret_index = w->idx;
	w->idx = NULL;
	return 0;
}

uint64_t gzc_writer_bytes_in(const struct gzc_writer *w) { return w->bytes_in; }
uint64_t gzc_writer_bytes_out(const struct gzc_writer *w) { return w->coff; }
uint64_t gzc_writer_bytes_done(const struct gzc_writer *w) { return w->usize; }

int gzc_writer_drain(struct gzc_writer *w)
{
	while (w->write_seq < w->fill_seq)
		write_next(w);
	return w->err;
}
uint64_t gzc_writer_inflight_max(const struct gzc_writer *w) { return (uint64_t)w->nslots * w->span; }
int gzc_writer_output_error(const struct gzc_writer *w) { return w->err; }

const void *gzc_writer_head(const struct gzc_writer *w, size_t *ret_len)
{
	*ret_len = w->bytes_in < GZC_WRITER_HEAD_MAX ? (size_t)w->bytes_in : GZC_WRITER_HEAD_MAX;
	return w->head;
}

void gzc_writer_free(struct gzc_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	/* queued spans still get compressed; nobody waits for them */
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	if (w->slots)
		for (size_t i = 0; i < w->nslots; i++)
			free(w->slots[i].segs);
	free(w->slots);
	free(w->in_area);
	free(w->out_area);
	free(w->threads);
	free(w->zero_out);
	free(w->head);
	free(w->adlers);
	gzc_index_free(w->idx);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->done);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
