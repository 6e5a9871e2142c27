/*
 * index.c — the span index in memory and on disk.
 *
 * Everything read from disk is untrusted: decode checks the CRC first, then
 * every count and offset against the sizes it claims, so a reader that
 * trusts a decoded index cannot be led out of bounds.
 */
#include "index.h"
#include "engine.h"
#include "io.h"
#include "tmpfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

int gzc_index_new(uint32_t span_size, uint32_t flags, struct gzc_index **ret)
{
	struct gzc_index *idx = calloc(1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	idx->span_size = span_size;
	idx->flags = flags;
	*ret = idx;
	return 0;
}

void gzc_index_free(struct gzc_index *idx)
{
	if (!idx)
		return;
	free(idx->spans);
	free(idx->windows);
	free(idx->seg_crcs);
	free(idx);
}

int gzc_index_append(struct gzc_index *idx, const struct gzc_span *span, const void *window, uint32_t wlen)
{
	return gzc_index_append_ex(idx, span, window, wlen, NULL, 0);
}

static int push_segs(struct gzc_index *idx, const uint32_t *segs, uint32_t n)
{
	if (idx->nseg + n > idx->seg_cap) {
		size_t cap = idx->seg_cap ? idx->seg_cap * 2 : 256;
		while (cap < idx->nseg + n)
			cap *= 2;
		uint32_t *p = realloc(idx->seg_crcs, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		idx->seg_crcs = p;
		idx->seg_cap = cap;
	}
	memcpy(idx->seg_crcs + idx->nseg, segs, n * sizeof(*segs));
	idx->nseg += n;
	return 0;
}

int gzc_index_append_ex(struct gzc_index *idx, const struct gzc_span *span, const void *window, uint32_t wlen,
			const uint32_t *segs, uint32_t nsegs)
{
	if (idx->nspans >= GZC_IDX_MAX_SPANS)
		return -E2BIG;
	if (idx->nspans > 0) {
		const struct gzc_span *last = &idx->spans[idx->nspans - 1];
		if (span->uoff <= last->uoff || span->coff <= last->coff)
			return -EINVAL;
	}
	if (idx->nspans == idx->spans_cap) {
		size_t cap = idx->spans_cap ? idx->spans_cap * 2 : 64;
		struct gzc_span *s = realloc(idx->spans, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		idx->spans = s;
		idx->spans_cap = cap;
	}
	struct gzc_span sp = *span;
	sp.woff = 0;
	sp.wlen = 0;
	sp.seg0 = idx->nseg;
	if (window && wlen) {
		if (idx->wsize + wlen > idx->windows_cap) {
			size_t cap = idx->windows_cap ? idx->windows_cap * 2 : 65536;
			while (cap < idx->wsize + wlen)
				cap *= 2;
			unsigned char *w = realloc(idx->windows, cap);
			if (!w)
				return -ENOMEM;
			idx->windows = w;
			idx->windows_cap = cap;
		}
	}
	/* the last allocation: nothing to undo after it */
	if (nsegs && push_segs(idx, segs, nsegs) < 0)
		return -ENOMEM;
	if (window && wlen) {
		memcpy(idx->windows + idx->wsize, window, wlen);
		sp.woff = idx->wsize;
		sp.wlen = wlen;
		idx->wsize += wlen;
	}
	idx->spans[idx->nspans++] = sp;
	return 0;
}

uint32_t gzc_index_span_nsegs(const struct gzc_index *idx, uint32_t i)
{
	uint64_t end = i + 1 < idx->nspans ? idx->spans[i + 1].seg0 : idx->nseg;
	return (uint32_t)(end - idx->spans[i].seg0);
}

void gzc_index_pop(struct gzc_index *idx)
{
	if (idx->nspans == 0)
		return;
	idx->nspans--;
	idx->nseg = idx->spans[idx->nspans].seg0;
	if (idx->spans[idx->nspans].wlen)
		idx->wsize = idx->spans[idx->nspans].woff;
}

uint64_t gzc_index_span_len(const struct gzc_index *idx, uint32_t i)
{
	uint64_t end = i + 1 < idx->nspans ? idx->spans[i + 1].uoff : idx->usize;
	return end - idx->spans[i].uoff;
}

uint32_t gzc_index_combined_crc(const struct gzc_index *idx)
{
	uint32_t v = 0;
	for (uint32_t i = 0; i < idx->nspans; i++)
		v = (uint32_t)crc32_combine(v, idx->spans[i].crc, (z_off_t)gzc_index_span_len(idx, i));
	return v;
}

uint32_t gzc_index_find(const struct gzc_index *idx, uint64_t off)
{
	uint32_t lo = 0, hi = idx->nspans;
	/* invariant: spans[lo].uoff <= off < spans[hi].uoff */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (idx->spans[mid].uoff <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int fingerprint(int fd, uint64_t *ret_size, uint32_t *ret_head, uint32_t *ret_tail)
{
	struct stat st;
	unsigned char buf[GZC_IDX_PROBE_LEN];

	if (fstat(fd, &st) < 0)
		return -errno;
	uint64_t size = (uint64_t)st.st_size;
	size_t n = size < GZC_IDX_PROBE_LEN ? (size_t)size : GZC_IDX_PROBE_LEN;
	ssize_t r = gzc_pread_all(fd, buf, n, 0);
	if (r < 0)
		return (int)r;
	if ((size_t)r != n)
		return -EBADMSG;
	*ret_head = gzc_crc32(0, buf, n);
	r = gzc_pread_all(fd, buf, n, size - n);
	if (r < 0)
		return (int)r;
	if ((size_t)r != n)
		return -EBADMSG;
	*ret_tail = gzc_crc32(0, buf, n);
	*ret_size = size;
	return 0;
}

int gzc_index_fingerprint(int fd, struct gzc_index *idx)
{
	uint64_t size;
	uint32_t head, tail;
	int r = fingerprint(fd, &size, &head, &tail);
	if (r < 0)
		return r;
	idx->csize = size;
	idx->head_crc = head;
	idx->tail_crc = tail;
	return 0;
}

int gzc_index_matches(const struct gzc_index *idx, int fd)
{
	uint64_t size;
	uint32_t head, tail;
	int r = fingerprint(fd, &size, &head, &tail);
	if (r < 0)
		return r;
	if (size != idx->csize || head != idx->head_crc || tail != idx->tail_crc)
		return -ESTALE;
	return 0;
}

int gzc_index_encode(const struct gzc_index *idx, unsigned char **ret_buf, size_t *ret_len)
{
	uint64_t len64 = GZC_IDX_HEADER_LEN + (uint64_t)idx->nspans * GZC_IDX_ENTRY_LEN + 4 * idx->nseg +
			 idx->wsize + GZC_IDX_TRAILER_LEN;
	if (len64 > GZC_IDX_MAX_FILE)
		return -E2BIG;
	size_t len = (size_t)len64;
	unsigned char *buf = calloc(1, len), *p;
	if (!buf)
		return -ENOMEM;
	memcpy(buf, GZC_IDX_MAGIC, GZC_IDX_MAGIC_LEN);
	gzc_put_le32(buf + 8, GZC_IDX_VERSION);
	gzc_put_le32(buf + 12, idx->flags);
	gzc_put_le32(buf + 16, idx->span_size);
	gzc_put_le32(buf + 20, idx->nspans);
	gzc_put_le64(buf + 24, idx->usize);
	gzc_put_le64(buf + 32, idx->csize);
	gzc_put_le32(buf + 40, idx->head_crc);
	gzc_put_le32(buf + 44, idx->tail_crc);
	gzc_put_le32(buf + 48, idx->data_crc);
	gzc_put_le32(buf + 52, idx->seg_size);
	gzc_put_le64(buf + 56, idx->wsize);
	p = buf + GZC_IDX_HEADER_LEN;
	for (uint32_t i = 0; i < idx->nspans; i++, p += GZC_IDX_ENTRY_LEN) {
		const struct gzc_span *s = &idx->spans[i];
		gzc_put_le64(p, s->uoff);
		gzc_put_le64(p + 8, s->coff);
		gzc_put_le64(p + 16, s->woff);
		gzc_put_le32(p + 24, s->wlen);
		gzc_put_le32(p + 28, s->crc);
		p[32] = s->bits;
		p[33] = s->flags;
	}
	for (uint64_t k = 0; k < idx->nseg; k++, p += 4)
		gzc_put_le32(p, idx->seg_crcs[k]);
	if (idx->wsize)
		memcpy(p, idx->windows, idx->wsize);
	p += idx->wsize;
	gzc_put_le32(p, gzc_crc32(0, buf, len - GZC_IDX_TRAILER_LEN));
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int gzc_index_decode(const void *vbuf, size_t len, struct gzc_index **ret)
{
	const unsigned char *buf = vbuf, *p;
	struct gzc_index *idx;
	int r;

	if (len < GZC_IDX_HEADER_LEN + GZC_IDX_TRAILER_LEN || memcmp(buf, GZC_IDX_MAGIC, GZC_IDX_MAGIC_LEN) != 0)
		return -EBADMSG;
	if (gzc_get_le32(buf + len - GZC_IDX_TRAILER_LEN) != gzc_crc32(0, buf, len - GZC_IDX_TRAILER_LEN))
		return -EBADMSG;
	if (gzc_get_le32(buf + 8) != GZC_IDX_VERSION)
		return -EPROTONOSUPPORT;
	uint32_t flags = gzc_get_le32(buf + 12), span_size = gzc_get_le32(buf + 16);
	uint32_t nspans = gzc_get_le32(buf + 20);
	uint64_t usize = gzc_get_le64(buf + 24), csize = gzc_get_le64(buf + 32);
	uint64_t wsize = gzc_get_le64(buf + 56);
	uint32_t seg_size = gzc_get_le32(buf + 52);
	if ((flags & ~GZC_IDX_F_KNOWN) || nspans > GZC_IDX_MAX_SPANS || span_size < GZC_SPAN_MIN ||
	    span_size > GZC_SPAN_MAX || wsize > len || (seg_size && (seg_size < 4096 || seg_size > GZC_SPAN_MAX)))
		return -EBADMSG;
	uint64_t fixed = (uint64_t)GZC_IDX_HEADER_LEN + (uint64_t)nspans * GZC_IDX_ENTRY_LEN + wsize + GZC_IDX_TRAILER_LEN;
	if (fixed > len || (len - fixed) % 4 != 0)
		return -EBADMSG;
	uint64_t nseg = (len - fixed) / 4;
	if (nseg && !seg_size)
		return -EBADMSG;
	if ((nspans == 0) != (usize == 0))
		return -EBADMSG;
	/* deflate makes at most 1032 bytes of 1 (258 bytes from a 2-bit code):
	 * a larger size is a lie, and checking it would cost that much decoding */
	if (csize < UINT64_MAX / GZC_DEFLATE_MAX_RATIO && usize > csize * GZC_DEFLATE_MAX_RATIO)
		return -EBADMSG;
	r = gzc_index_new(span_size, flags, &idx);
	if (r < 0)
		return r;
	idx->usize = usize;
	idx->csize = csize;
	idx->head_crc = gzc_get_le32(buf + 40);
	idx->tail_crc = gzc_get_le32(buf + 44);
	idx->data_crc = gzc_get_le32(buf + 48);
	idx->seg_size = seg_size;
	if (nseg) {
		idx->seg_crcs = malloc(nseg * 4);
		if (!idx->seg_crcs)
			goto nomem;
		idx->seg_cap = nseg;
		const unsigned char *q = buf + GZC_IDX_HEADER_LEN + (size_t)nspans * GZC_IDX_ENTRY_LEN;
		for (uint64_t k = 0; k < nseg; k++)
			idx->seg_crcs[k] = gzc_get_le32(q + 4 * k);
		idx->nseg = nseg;
	}
	if (nspans) {
		idx->spans = calloc(nspans, sizeof(*idx->spans));
		if (!idx->spans)
			goto nomem;
		idx->spans_cap = nspans;
	}
	if (wsize) {
		idx->windows = malloc(wsize);
		if (!idx->windows)
			goto nomem;
		idx->windows_cap = wsize;
		memcpy(idx->windows, buf + GZC_IDX_HEADER_LEN + (size_t)nspans * GZC_IDX_ENTRY_LEN + 4 * nseg, wsize);
		idx->wsize = wsize;
	}
	uint64_t max_span = (flags & GZC_IDX_F_FOREIGN) ? GZC_FOREIGN_SPAN_MAX : span_size;
	p = buf + GZC_IDX_HEADER_LEN;
	for (uint32_t i = 0; i < nspans; i++, p += GZC_IDX_ENTRY_LEN) {
		struct gzc_span *s = &idx->spans[i];
		s->uoff = gzc_get_le64(p);
		s->coff = gzc_get_le64(p + 8);
		s->woff = gzc_get_le64(p + 16);
		s->wlen = gzc_get_le32(p + 24);
		s->crc = gzc_get_le32(p + 28);
		s->bits = p[32];
		s->flags = p[33];
		if (s->bits > 7 || (s->flags & ~GZC_SPAN_F_KNOWN) || s->coff >= csize ||
		    (s->bits && s->coff == 0) || s->woff > wsize || s->wlen > wsize - s->woff)
			goto bad;
		/* each span's compressed bytes start after the last one's (a
		 * deflate block is at least 10 bits, and no span is empty) */
		if (i == 0 ? s->uoff != 0 : (s->uoff <= s[-1].uoff || s->coff <= s[-1].coff))
			goto bad;
		if (i > 0 && s->uoff - s[-1].uoff > max_span)
			goto bad;
	}
	idx->nspans = nspans;
	if (nspans && (usize <= idx->spans[nspans - 1].uoff || usize - idx->spans[nspans - 1].uoff > max_span))
		goto bad;
	/* every span with data has exactly its segments' CRCs, in order */
	uint64_t seg = 0;
	for (uint32_t i = 0; i < nspans; i++) {
		idx->spans[i].seg0 = seg;
		if (seg_size && !(idx->spans[i].flags & GZC_SPAN_F_ZERO))
			seg += (gzc_index_span_len(idx, i) + seg_size - 1) / seg_size;
	}
	if (seg != nseg)
		goto bad;
	*ret = idx;
	return 0;
bad:
	gzc_index_free(idx);
	return -EBADMSG;
nomem:
	gzc_index_free(idx);
	return -ENOMEM;
}

int gzc_index_save(const struct gzc_index *idx, int dirfd, const char *path)
{
	unsigned char *buf = NULL;
	size_t len;
	char *tmp = NULL;
	int fd = -1, r;

	r = gzc_index_encode(idx, &buf, &len);
	if (r < 0)
		return r;
	/* a name of its own: another thread of this process may be saving the
	 * same index */
	char *prefix;
	size_t cap = strlen(path) + 16; /* ".tmp.", 8 hex digits, NUL */
	if (asprintf(&prefix, "%s.tmp.", path) < 0) {
		r = -ENOMEM;
		goto out;
	}
	tmp = malloc(cap);
	fd = tmp ? gzc_tmpfile_create_random(dirfd, prefix, 0600, tmp, cap) : -ENOMEM;
	free(prefix);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	r = gzc_write_all(fd, buf, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	fd = -1;
	if (r == 0 && renameat(dirfd, tmp, dirfd, path) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
out:
	free(tmp);
	free(buf);
	return r;
}

/* Indexes are written whole: one with a hole is not ours (and a sparse
 * file must not make us allocate the gigabytes it claims). */
static int load(int dirfd, const char *path, uint64_t max, struct gzc_index **ret)
{
	char *buf;
	size_t len;
	int r = gzc_read_file_at(dirfd, path, max, GZC_READ_DENSE, &buf, &len);
	if (r == -EINVAL || r == -EFBIG)
		return -EBADMSG; /* not a file an index could be */
	if (r < 0)
		return r;
	r = gzc_index_decode(buf, len, ret);
	free(buf);
	return r;
}

int gzc_index_load(int dirfd, const char *path, struct gzc_index **ret)
{
	return load(dirfd, path, GZC_IDX_MAX_FILE, ret);
}

int gzc_index_load_for(int dirfd, const char *path, int fd, struct gzc_index **ret)
{
	struct gzc_index *idx;
	int r = load(dirfd, path, GZC_IDX_MAX_FILE, &idx);
	if (r < 0)
		return r;
	if ((r = gzc_index_matches(idx, fd)) < 0) {
		gzc_index_free(idx);
		return r;
	}
	*ret = idx;
	return 0;
}
