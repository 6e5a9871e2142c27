/*
 * scan.c — one pass over a compressed file to build its index (zlib's zran).
 *
 * inflate(Z_BLOCK) stops at every deflate block edge; there a checkpoint is
 * taken when a span's worth of output has gone by. A checkpoint is its bit
 * position plus the 32 KiB of output before it (the window), which inflate
 * needs to resume. Our own files need no window: the gzip header says each
 * span is independent, and the checkpoint lands exactly on a span edge. A
 * file with our header whose spans outgrow its span size is not cut as ours:
 * it is scanned again as a foreign file. If the spans are not independent,
 * the later decode fails (-EBADMSG): it never guesses.
 */
#include "scan.h"
#include "engine.h"
#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>


bool gzc_scan_sniff(const unsigned char *h, size_t n)
{
	if (n >= 3 && h[0] == GZC_GZ_ID1 && h[1] == GZC_GZ_ID2 && h[2] == GZC_GZ_CM_DEFLATE)
		return true;
	return n >= 2 && (h[0] & 0x0f) == Z_DEFLATED && (h[0] >> 4) <= 7 && ((unsigned)h[0] << 8 | h[1]) % 31 == 0 &&
	       !(h[1] & 0x20);
}

ssize_t gzc_scan_head(int fd, void *buf, size_t len)
{
	enum { CHUNK = 64 * 1024 };
	unsigned char *in;
	z_stream zs;
	uint64_t off = 0;
	ssize_t r = 0;

	if (len == 0 || len > (1u << 20))
		return -EINVAL;
	if (!(in = malloc(CHUNK)))
		return -ENOMEM;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 32) != Z_OK) { /* gzip or zlib, by the header */
		free(in);
		return -ENOMEM;
	}
	zs.next_out = buf;
	zs.avail_out = (uInt)len;
	while (zs.avail_out > 0 && off < GZC_SCAN_HEAD_IN) {
		ssize_t n = gzc_pread_all(fd, in, CHUNK, off);
		if (n < 0) {
			r = n;
			break;
		}
		if (n == 0)
			break; /* the file ends inside the stream: what came out counts */
		off += (uint64_t)n;
		zs.next_in = in;
		zs.avail_in = (uInt)n;
		int z = inflate(&zs, Z_NO_FLUSH);
		if (z == Z_STREAM_END)
			break;
		if (z != Z_OK && z != Z_BUF_ERROR) {
			r = -EBADMSG;
			break;
		}
	}
	if (r == 0)
		r = zs.avail_out < len ? (ssize_t)(len - zs.avail_out) : -EBADMSG;
	inflateEnd(&zs);
	free(in);
	return r;
}

int gzc_scan_is_own(int fd, uint32_t *ret_span)
{
	unsigned char h[GZC_GZ_HEADER_LEN];
	ssize_t n = gzc_pread_all(fd, h, sizeof(h), 0);
	if (n < 0)
		return (int)n;
	if ((size_t)n < sizeof(h) || h[0] != GZC_GZ_ID1 || h[1] != GZC_GZ_ID2 || h[2] != GZC_GZ_CM_DEFLATE ||
	    h[3] != GZC_GZ_FLG_FEXTRA || gzc_get_le16(h + 10) != GZC_GZ_SUBFIELD_HDR + GZC_GZ_EXTRA_PAYLOAD ||
	    h[12] != GZC_GZ_SI1 || h[13] != GZC_GZ_SI2 || gzc_get_le16(h + 14) != GZC_GZ_EXTRA_PAYLOAD ||
	    h[16] != GZC_GZ_EXTRA_VERSION || !(h[17] & GZC_EXTRA_FLAG_INDEPENDENT))
		return 0;
	uint32_t span = gzc_get_le32(h + 18);
	if (span < GZC_SPAN_MIN || span > GZC_SPAN_MAX)
		return 0;
	*ret_span = span;
	return 1;
}

struct scan {
	int fd;
	uint64_t csize;
	z_stream zs;
	int zs_ready;
	unsigned char *in;
	uint64_t in_pos;          /* file offset of in[0] */
	unsigned char *win;       /* ring of the last GZC_WINDOW_SIZE output bytes */
	unsigned char *wtmp, *wz; /* a linear window and its compressed form */
	z_stream wzs;
	int wzs_ready;
	/* the span being scanned */
	int have_span;
	struct gzc_span cur;
	unsigned char *cur_win;
	uint32_t cur_wlen;
 	int zero;
	uint32_t *segs;          /* check segment CRCs of the current span */
	uint32_t nsegs, segs_cap;
	uint32_t seg_crc;
	uint32_t seg_fill;
	int oom;
	uint64_t total_out;
	struct gzc_index *idx;
};

static int set_err(struct gzc_scan_error *err, struct scan *s, const char *what, int code)
{
	if (err) {
		err->coff = s->in_pos + (uint64_t)(s->zs.next_in - s->in);
		err->uoff = s->total_out;
		err->what = what;
	}
	return code;
}

static void push_seg(struct scan *s)
{
	if (s->nsegs == s->segs_cap) {
		uint32_t cap = s->segs_cap ? s->segs_cap * 2 : 64;
		uint32_t *p = realloc(s->segs, cap * sizeof(*p));
		if (!p) {
			s->oom = 1;
			return;
		}
		s->segs = p;
		s->segs_cap = cap;
	}
	s->segs[s->nsegs++] = s->seg_crc;
	s->seg_crc = 0;
	s->seg_fill = 0;
}

/* Closes the current span at s->total_out and appends it. */
static int close_span(struct scan *s)
{
	if (!s->have_span)
		return 0;
	if (s->total_out - s->cur.uoff > GZC_FOREIGN_SPAN_MAX)
		return -E2BIG;
	s->have_span = 0;
	if (s->seg_fill)
		push_seg(s);
	if (s->oom)
		return -ENOMEM;
	/* the span's CRC from its segments' */
	uint64_t len = s->total_out - s->cur.uoff;
	s->cur.crc = 0;
	for (uint32_t k = 0; k < s->nsegs; k++) {
		uint64_t n = len - (uint64_t)k * GZC_SEG_SIZE < GZC_SEG_SIZE ? len - (uint64_t)k * GZC_SEG_SIZE : GZC_SEG_SIZE;
		s->cur.crc = k ? (uint32_t)crc32_combine(s->cur.crc, s->segs[k], (z_off_t)n) : s->segs[k];
	}
	s->cur.flags |= s->zero ? GZC_SPAN_F_ZERO : 0;
	if (s->total_out == s->cur.uoff)
		return 0; /* empty span (e.g. empty member at the end): nothing to index */
	return gzc_index_append_ex(s->idx, &s->cur, s->cur_win, s->cur_wlen, s->segs, s->zero ? 0 : s->nsegs);
}

/* Starts a span at the current position: coff/bits as given, window if needed. */
static int open_span(struct scan *s, uint64_t coff, int bits, int need_window, uint8_t flags)
{
	int r = close_span(s);
	if (r < 0)
		return r;
	memset(&s->cur, 0, sizeof(s->cur));
	s->cur.uoff = s->total_out;
	s->cur.coff = coff;
	s->cur.bits = (uint8_t)bits;
	s->cur.flags = flags;
	s->cur_wlen = 0;
	if (need_window && s->total_out > 0) {
		uint32_t wl = s->total_out < GZC_WINDOW_SIZE ? (uint32_t)s->total_out : GZC_WINDOW_SIZE;
		uint32_t pos = (uint32_t)(s->total_out % GZC_WINDOW_SIZE);
		/* unroll the ring: the last wl bytes end at pos */
		if (wl == GZC_WINDOW_SIZE) {
			memcpy(s->wtmp, s->win + pos, GZC_WINDOW_SIZE - pos);
			memcpy(s->wtmp + GZC_WINDOW_SIZE - pos, s->win, pos);
		} else {
			memcpy(s->wtmp, s->win, wl);
		}
		if (deflateReset(&s->wzs) != Z_OK)
			return -ENOMEM;
		s->wzs.next_in = s->wtmp;
		s->wzs.avail_in = wl;
		s->wzs.next_out = s->wz;
		s->wzs.avail_out = (uInt)deflateBound(&s->wzs, GZC_WINDOW_SIZE);
		if (deflate(&s->wzs, Z_FINISH) != Z_STREAM_END)
			return -ENOMEM;
		s->cur_wlen = (uint32_t)s->wzs.total_out;
		memcpy(s->cur_win, s->wz, s->cur_wlen);
	}
	s->zero = 1;
	s->nsegs = 0;
	s->seg_crc = 0;
	s->seg_fill = 0;
	s->have_span = 1;
	return 0;
}

static void account_output(struct scan *s, const unsigned char *p, size_t n)
{
	if (s->zero && !gzc_is_zero(p, n))
		s->zero = 0;
	s->total_out += n;
	while (n > 0) {
		size_t k = GZC_SEG_SIZE - s->seg_fill < n ? GZC_SEG_SIZE - s->seg_fill : n;
		s->seg_crc = gzc_crc32(s->seg_crc, p, k);
		s->seg_fill += (uint32_t)k;
		p += k;
		n -= k;
		if (s->seg_fill == GZC_SEG_SIZE)
			push_seg(s);
	}
}

static int refill(struct scan *s)
{
	uint64_t pos = s->in_pos + (uint64_t)(s->zs.next_in - s->in);
	size_t keep = s->zs.avail_in;
	if (keep)
		memmove(s->in, s->zs.next_in, keep);
	s->in_pos = pos; /* in[0] now holds the byte at pos */
	ssize_t n = gzc_pread_all(s->fd, s->in + keep, GZC_SCAN_CHUNK - keep, pos + keep);
	if (n < 0)
		return (int)n;
	s->zs.next_in = s->in;
	s->zs.avail_in = (uInt)(keep + (size_t)n);
	return (int)(n > 0);
}

/* scan_pass()'s answer when a file with our header is not cut as ours */
#define NOT_OWN 1

/* One pass over the file. own: index it as our own file (span = its span
 * size); returns NOT_OWN if a span would outgrow that (then it is not ours,
 * whatever its header says, and gets a foreign index instead). */
static int scan_pass(int fd, uint64_t csize, uint32_t span, int own, int gzip, struct gzc_index **ret,
		     struct gzc_scan_error *err, gzc_progress_fn progress, void *ctx)
{
	struct scan s;
	int r, multimember = 0;

	memset(&s, 0, sizeof(s));
	s.fd = fd;
	s.csize = csize;
	r = gzc_index_new(span, (own ? 0 : GZC_IDX_F_FOREIGN) | (gzip ? 0 : GZC_IDX_F_ZLIB), &s.idx);
	if (r < 0)
		return r;
	s.idx->seg_size = GZC_SEG_SIZE;
	s.in = malloc(GZC_SCAN_CHUNK);
	s.win = malloc(GZC_WINDOW_SIZE);
	s.wtmp = malloc(GZC_WINDOW_SIZE);
	s.cur_win = malloc(GZC_WINDOW_SIZE + 1024);
	s.wz = malloc(GZC_WINDOW_SIZE + 1024);
	if (!s.in || !s.win || !s.wtmp || !s.cur_win || !s.wz) {
		r = -ENOMEM;
		goto out;
	}
	if (inflateInit2(&s.zs, gzip ? 31 : 15) != Z_OK) {
		r = -ENOMEM;
		goto out;
	}
	s.zs_ready = 1;
	s.zs.next_in = s.in;
	s.zs.avail_in = 0;
	if (deflateInit2(&s.wzs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		r = -ENOMEM;
		goto out;
	}
	s.wzs_ready = 1;

	int at_member_start = 1; /* a member header is next */
	for (;;) {
		if (s.zs.avail_in == 0) {
			r = refill(&s);
			if (r < 0)
				goto out;
			if (r == 0) {
				r = set_err(err, &s, "unexpected end of file (truncated)", -EBADMSG);
				goto out;
			}
			if (progress && progress(ctx, s.in_pos, s.csize)) {
				r = -ECANCELED;
				goto out;
			}
		}
		if (at_member_start) {
			uint64_t member_start = s.in_pos + (uint64_t)(s.zs.next_in - s.in);
			at_member_start = 0;
			/* a member header is a checkpoint that needs no window */
			if (!s.have_span || s.total_out - s.cur.uoff >= span) {
				r = open_span(&s, member_start, 0, 0, s.total_out ? GZC_SPAN_F_MEMBER : 0);
				if (r < 0)
					goto out;
				if (s.total_out == 0)
					s.cur.flags = GZC_SPAN_F_MEMBER; /* first span starts at a header */
			}
		}
		uint32_t pos = (uint32_t)(s.total_out % GZC_WINDOW_SIZE);
		s.zs.next_out = s.win + pos;
		s.zs.avail_out = GZC_WINDOW_SIZE - pos;
		int zr = inflate(&s.zs, Z_BLOCK);
		size_t got = (GZC_WINDOW_SIZE - pos) - s.zs.avail_out;
		if (got)
			account_output(&s, s.win + pos, got);
		if (zr == Z_NEED_DICT || zr == Z_DATA_ERROR || zr == Z_MEM_ERROR || zr == Z_STREAM_ERROR) {
			r = set_err(err, &s, s.zs.msg ? s.zs.msg : "corrupt deflate data",
				    zr == Z_MEM_ERROR ? -ENOMEM : -EBADMSG);
			goto out;
		}
		if (own && s.have_span && s.total_out - s.cur.uoff > span) {
			r = NOT_OWN;
			goto out;
		}
		if (s.have_span && s.total_out - s.cur.uoff > GZC_FOREIGN_SPAN_MAX) {
			r = set_err(err, &s, "deflate block too long to index", -E2BIG);
			goto out;
		}
		if (zr == Z_STREAM_END) {
			if (!gzip)
				break;
			/* another member? skip nothing: zlib consumed the trailer */
			if (s.zs.avail_in < 2) {
				r = refill(&s);
				if (r < 0)
					goto out;
			}
			if (s.zs.avail_in >= 2 && s.zs.next_in[0] == GZC_GZ_ID1 && s.zs.next_in[1] == GZC_GZ_ID2) {
				/* our writer makes one member: what follows ours (another
				 * tool's member, whose flush points need windows) is
				 * indexed as a foreign file */
				if (own) {
					r = NOT_OWN;
					goto out;
				}
				if (inflateReset(&s.zs) != Z_OK) {
					r = -ENOMEM;
					goto out;
				}
				multimember = 1;
				at_member_start = 1;
				continue;
			}
			/* trailing bytes that are not a member are ignored, as gzip does;
			 * our file then no longer ends with its trailer, so its index
			 * says foreign (its checks do not count on one) */
			if (s.zs.avail_in || s.in_pos + (uint64_t)(s.zs.next_in - s.in) < s.csize)
				s.idx->flags |= GZC_IDX_F_FOREIGN;
			break;
		}
		/* a block edge that is not the end of the stream: maybe a checkpoint */
		if ((s.zs.data_type & 128) && !(s.zs.data_type & 64)) {
			int bits = s.zs.data_type & 7;
			uint64_t coff = s.in_pos + (uint64_t)(s.zs.next_in - s.in);
			if (own && bits == 0 && s.have_span && s.cur.uoff == s.total_out) {
				/* another edge at the span's first output byte: right after
				 * our header, or after the empty stored block that ends each
				 * of our spans. Start the span there, as the writer's index
				 * does, so it decodes without zlib and without a window. */
				s.cur.coff = coff;
				s.cur.bits = 0;
				s.cur.flags = 0;
				continue;
			}
			/* our spans end with a data block and then an empty stored
			 * block at the same output offset: wait for that aligned edge
			 * rather than checkpoint mid-marker with a window */
			if (own && bits != 0 && s.total_out % span == 0)
				continue;
			if (s.total_out - s.cur.uoff >= span) {
				int aligned_edge = own && bits == 0 && s.total_out % span == 0;
				r = open_span(&s, coff, bits, !aligned_edge, 0);
				if (r < 0)
					goto out;
			}
		}
	}
	r = close_span(&s);
	if (r < 0)
		goto out;
	if (multimember)
		s.idx->flags |= GZC_IDX_F_MULTIMEMBER;
	s.idx->usize = s.total_out;
	s.idx->data_crc = gzc_index_combined_crc(s.idx);
	r = gzc_index_fingerprint(fd, s.idx);
	if (r < 0)
		goto out;
	if (progress)
		progress(ctx, s.csize, s.csize);
	*ret = s.idx;
	s.idx = NULL;
	r = 0;
out:
	if (s.zs_ready)
		inflateEnd(&s.zs);
	if (s.wzs_ready)
		deflateEnd(&s.wzs);
	free(s.in);
	free(s.win);
	free(s.wtmp);
	free(s.cur_win);
	free(s.wz);
	free(s.segs);
	gzc_index_free(s.idx);
	return r;
}

int gzc_scan_build(int fd, uint32_t span, struct gzc_index **ret, struct gzc_scan_error *err,
		   gzc_progress_fn progress, void *ctx)
{
	struct scan s;
	struct stat st;
	unsigned char head[3];
	uint32_t own_span = 0;
	int r, own, gzip;

	memset(&s, 0, sizeof(s));
	if (fstat(fd, &st) < 0)
		return -errno;
	ssize_t n = gzc_pread_all(fd, head, sizeof(head), 0);
	if (n < 0)
		return (int)n;
	if (n < 2)
		return set_err(err, &s, "file too short for a gzip or zlib header", -EBADMSG);
	if (!gzc_scan_sniff(head, (size_t)n))
		return set_err(err, &s, "not a gzip or zlib file", -EBADMSG);
	gzip = head[0] == GZC_GZ_ID1 && head[1] == GZC_GZ_ID2;
	own = gzc_scan_is_own(fd, &own_span);
	if (own < 0)
		return own;
	if (span == 0)
		span = own ? own_span : GZC_FOREIGN_SPACING;
	if (span < GZC_SPAN_MIN || span > GZC_SPAN_MAX)
		return -EINVAL;
	/* checkpoints of our own files fall on span edges and need no window */
	if (own) {
		r = scan_pass(fd, (uint64_t)st.st_size, own_span, 1, gzip, ret, err, progress, ctx);
		if (r != NOT_OWN)
			return r;
		if (span == own_span)
			span = GZC_FOREIGN_SPACING;
	}
	return scan_pass(fd, (uint64_t)st.st_size, span, 0, gzip, ret, err, progress, ctx);
}
