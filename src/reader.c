/*
 * reader.c — random access reads over the span index.
 *
 * Two decoders: spans that start byte aligned with no window inside one
 * deflate stream (all of ours) go to the engine's raw inflate (ISA-L when
 * built with it); everything else (a foreign checkpoint with a bit offset and
 * a 32 KiB window, or a span that crosses gzip members) goes through zlib.
 * Either way the span's CRC-32 must match the index before a byte is served.
 */
#include "reader.h"
#include "engine.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define IN_CHUNK (64u * 1024)

struct gzc_reader {
	int fd;
	struct gzc_index *idx;
	struct gzc_cache *cache;
	int own_cache;
	uint64_t file_id;
	enum gzc_index_origin origin;
	/* NULL, or per span the state of a zero span checked at its first use
	 * (ZS_*): another tool's gzip file whose trailer vouches for the index */
	unsigned char *zstate;
};

enum { ZS_UNCHECKED, ZS_ZERO, ZS_DATA };

/* How far a decode of one span goes: at least what was asked, rounded up to
 * a check segment; further when other threads ask the cache for more of the
 * same span meanwhile, so one decode serves them all. */
struct goal {
	struct gzc_reader *r;
	struct gzc_cache_entry *entry; /* NULL: nobody else can ask */
	size_t len, seg, target;
	int decode_zero;               /* decode a zero span too (to check it) */
};

static size_t round_seg(const struct goal *g, size_t need)
{
	if (!g->seg || need >= g->len)
		return g->len;
	size_t t = need + (g->seg - need % g->seg) % g->seg;
	return t < g->len ? t : g->len;
}

/* The target after taking in what others asked for (never less than before). */
static size_t goal_next(struct goal *g)
{
	if (g->entry) {
		size_t t = round_seg(g, gzc_cache_wanted(g->r->cache, g->entry));
		if (t > g->target)
			g->target = t;
	}
	return g->target;
}

static int window_to_dict(const struct gzc_index *idx, const struct gzc_span *s, z_stream *zs)
{
	unsigned char *w = malloc(GZC_WINDOW_SIZE);
	z_stream ws;
	int r = -EBADMSG;

	if (!w)
		return -ENOMEM;
	memset(&ws, 0, sizeof(ws));
	if (inflateInit2(&ws, -15) != Z_OK) {
		free(w);
		return -ENOMEM;
	}
	ws.next_in = idx->windows + s->woff;
	ws.avail_in = s->wlen;
	ws.next_out = w;
	ws.avail_out = GZC_WINDOW_SIZE;
	if (inflate(&ws, Z_FINISH) == Z_STREAM_END &&
	    inflateSetDictionary(zs, w, GZC_WINDOW_SIZE - ws.avail_out) == Z_OK)
		r = 0;
	inflateEnd(&ws);
	free(w);
	return r;
}

/* Reads the next IN_CHUNK of compressed bytes from *pos into in for zs.
 * Returns 0, -EBADMSG at the file's end, -errno of pread. */
static int refill(struct gzc_reader *r, z_stream *zs, unsigned char *in, uint64_t *pos)
{
	ssize_t n = gzc_pread_all(r->fd, in, IN_CHUNK, (off_t)*pos);
	if (n <= 0)
		return n < 0 ? (int)n : -EBADMSG;
	*pos += (uint64_t)n;
	zs->next_in = in;
	zs->avail_in = (uInt)n;
	return 0;
}

/* Passes over up to *skip of zs's input (a member's trailer). */
static void skip_input(z_stream *zs, size_t *skip)
{
	size_t k = *skip < zs->avail_in ? *skip : zs->avail_in;
	zs->next_in += k;
	zs->avail_in -= (uInt)k;
	*skip -= k;
}

/* The general decoder: bit offsets, windows, member edges. */
static int decode_zlib(struct gzc_reader *r, const struct gzc_span *s, unsigned char *out, struct goal *g)
{
	const struct gzc_index *idx = r->idx;
	int gzip = !(idx->flags & GZC_IDX_F_ZLIB);
	int wbits = (s->flags & GZC_SPAN_F_MEMBER) ? (gzip ? 31 : 15) : -15;
	unsigned char *in = NULL;
	uint64_t pos = s->coff;
	size_t skip = 0;
	z_stream zs;
	int rc = 0;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, wbits) != Z_OK)
		return -ENOMEM;
	in = malloc(IN_CHUNK);
	if (!in) {
		rc = -ENOMEM;
		goto out;
	}
	if (s->bits) {
		unsigned char b;
		ssize_t n = gzc_pread_all(r->fd, &b, 1, s->coff - 1);
		if (n != 1) {
			rc = n < 0 ? (int)n : -EBADMSG;
			goto out;
		}
		if (inflatePrime(&zs, s->bits, b >> (8 - s->bits)) != Z_OK) {
			rc = -EBADMSG;
			goto out;
		}
	}
	if (s->wlen && (rc = window_to_dict(idx, s, &zs)) < 0)
		goto out;
	zs.next_out = out;
	zs.avail_out = (uInt)g->target;
	for (;;) {
		if (zs.avail_out == 0) {
			size_t done = (size_t)(zs.next_out - out);
			if (goal_next(g) == done)
				break;
			zs.avail_out = (uInt)(g->target - done);
		}
		if (zs.avail_in == 0) {
			if (pos >= idx->csize) {
				rc = -EBADMSG;
				goto out;
			}
			if ((rc = refill(r, &zs, in, &pos)) < 0)
				goto out;
		}
		if (skip) {
			skip_input(&zs, &skip);
			continue;
		}
		int zr = inflate(&zs, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			if (zs.avail_out == 0)
				break;
			if (!gzip) {
				rc = -EBADMSG; /* the stream ended before the span did */
				goto out;
			}
			/* next gzip member: a raw decode leaves the trailer to us */
			if (wbits < 0)
				skip = GZC_GZ_TRAILER_LEN;
			wbits = 31;
			if (inflateReset2(&zs, wbits) != Z_OK) {
				rc = -ENOMEM;
				goto out;
			}
			continue;
		}
		if (zr != Z_OK && !(zr == Z_BUF_ERROR && zs.avail_in == 0)) {
			rc = -EBADMSG;
			goto out;
		}
	}
out:
	inflateEnd(&zs);
	free(in);
	return rc;
}

/* A paused decode of a span's prefix, kept with its cache entry so that a
 * later read further into the span goes on instead of starting over. */
struct resume {
	struct gzc_inflater *d;
	uint64_t in_used; /* compressed bytes consumed */
};

static void resume_free(void *p)
{
	struct resume *rs = p;
	gzc_inflater_end(rs->d);
	free(rs);
}

/* Whether span s decodes raw from its own compressed bytes alone (no bit
 * offset, no window, no member edge): then two such spans with equal bytes
 * decode to equal data. */
static int plain_span(const struct gzc_index *idx, const struct gzc_span *s)
{
	return !s->bits && !s->wlen && !(s->flags & GZC_SPAN_F_MEMBER) && !(idx->flags & GZC_IDX_F_MULTIMEMBER);
}

/* Decodes bytes of span i into buf up to g->target (or more, see struct
 * goal), unchecked; *ret_from gets where this call started (bytes before it
 * were decoded and checked by an earlier call, resumed here). */
static int decode_raw(struct gzc_reader *r, uint32_t i, unsigned char *buf, struct goal *g, size_t *ret_from)
{
	const struct gzc_index *idx = r->idx;
	const struct gzc_span *s = &idx->spans[i];
	struct resume *rs = NULL;
	struct gzc_inflater *d = NULL;
	int rc;

	*ret_from = 0;
	if ((s->flags & GZC_SPAN_F_ZERO) && !g->decode_zero) {
		int z = gzc_reader_span_zero(r, i);
		if (z < 0)
			return z;
		if (z) {
			memset(buf, 0, g->target);
			return 0;
		}
	}
	if (!plain_span(idx, s))
		return decode_zlib(r, s, buf, g);
	/* one aligned, independent span: read its bytes and inflate them raw */
	uint64_t end = i + 1 < idx->nspans ? idx->spans[i + 1].coff : idx->csize;
	if (end > idx->csize)
		end = idx->csize;
	uint64_t clen = end - s->coff;
	if (clen > gzc_deflate_bound(g->len) + 64)
		clen = gzc_deflate_bound(g->len) + 64;
	if (g->entry && (rs = gzc_cache_take_resume(r->cache, g->entry))) {
		d = rs->d;
		*ret_from = gzc_inflater_produced(d);
	}
	uint64_t skip = rs ? rs->in_used : 0;
	if (skip > clen)
		skip = clen;
	unsigned char *in = malloc((size_t)(clen - skip) + 1);
	if (!in) {
		rc = -ENOMEM;
		goto out;
	}
	ssize_t n = gzc_pread_all(r->fd, in, (size_t)(clen - skip), s->coff + skip);
	if (n < 0) {
		rc = (int)n;
	} else if (d) {
		gzc_inflater_set_input(d, in, (size_t)n);
		rc = 0;
	} else {
		rc = gzc_inflater_begin(in, (size_t)n, buf, g->len, &d);
	}
	while (rc == 0 && goal_next(g) > gzc_inflater_produced(d))
		rc = gzc_inflater_run(d, g->target);
	if (rc == 0 && g->target < g->len && g->entry && (rs || (rs = malloc(sizeof(*rs))))) {
		/* stopped short: keep the decoder for a longer read later */
		rs->d = d;
		rs->in_used = skip + (uint64_t)n - gzc_inflater_avail_in(d);
		gzc_inflater_set_input(d, NULL, 0);
		gzc_cache_keep_resume(r->cache, g->entry, rs, resume_free, sizeof(*rs) + gzc_inflater_footprint());
		rs = NULL;
		d = NULL;
	}
	free(in);
out:
	gzc_inflater_end(d);
	free(rs);
	return rc;
}

/* Decodes at least need bytes of span i (all of it when the index has no
 * segment CRCs for it) and verifies them. entry (may be NULL) is the cache
 * entry being loaded. Returns the bytes decoded or -errno. */
static long decode_checked(struct gzc_reader *r, uint32_t i, unsigned char *buf, size_t need,
			   struct gzc_cache_entry *entry)
{
	const struct gzc_index *idx = r->idx;
	const struct gzc_span *s = &idx->spans[i];
	struct goal g = { .r = r, .entry = entry, .len = (size_t)gzc_index_span_len(idx, i) };
	size_t from;
	int rc;

	if (idx->seg_size && !(s->flags & GZC_SPAN_F_ZERO) &&
	    gzc_index_span_nsegs(idx, i) == (g.len + idx->seg_size - 1) / idx->seg_size)
		g.seg = idx->seg_size;
	g.target = round_seg(&g, need);
	rc = decode_raw(r, i, buf, &g, &from);
	if (rc < 0)
		return rc;
	if (from == 0 && g.target == g.len) {
		if (gzc_crc32(0, buf, g.len) != s->crc)
			return -EBADMSG;
	} else {
		/* segments from where this decode started (a resumed one starts on
		 * a segment edge: prefixes always end on one) */
		for (size_t k = from / g.seg; k * g.seg < g.target; k++) {
			size_t n = g.len - k * g.seg < g.seg ? g.len - k * g.seg : g.seg;
			if (gzc_crc32(0, buf + k * g.seg, n) != idx->seg_crcs[s->seg0 + k])
				return -EBADMSG;
		}
	}
	return (long)g.target;
}

long gzc_reader_decode_span(struct gzc_reader *r, uint32_t i, void *buf, size_t cap)
{
	if (i >= r->idx->nspans)
		return -EINVAL;
	uint64_t len = gzc_index_span_len(r->idx, i);
	if (len > cap)
		return -EINVAL;
	return decode_checked(r, i, buf, (size_t)len, NULL);
}

#define ZERO_TEMPLATE_MAX (64u << 10)

/* The last span, decoded from its checkpoint (bits, window, member header as
 * the index says), must make exactly its length with its CRC and then end the
 * deflate stream; after it, only what the file's own decoding stops at: our
 * own files' trailer and nothing more (a zlib file's Adler-32, checked by
 * zlib when the span starts at the header), a foreign zlib file's Adler-32
 * (then anything, as the scan ignores it), a foreign gzip file's trailer and
 * then no gzip member with data (empty ones are skipped, as the scan does).
 * So an index, foreign or ours, cannot leave out spans at the end or add
 * made-up ones after the last: the size it gives reaches the stream's end.
 * The output is streamed (a foreign span may be 256 MiB). Our own spans
 * start on a byte with no window, and even stored take little more than
 * their length. Returns 0, -EBADMSG, -ENOMEM, -errno of pread. */
#define END_OUT_CHUNK (256u * 1024)
static int check_stream_end(struct gzc_reader *r)
{
	const struct gzc_index *idx = r->idx;
	/* an empty index: the whole file must decode to nothing */
	static const struct gzc_span empty = { .flags = GZC_SPAN_F_MEMBER };
	const struct gzc_span *s = idx->nspans ? &idx->spans[idx->nspans - 1] : &empty;
	bool gzip = !(idx->flags & GZC_IDX_F_ZLIB), own = !(idx->flags & GZC_IDX_F_FOREIGN);
	uint64_t len = idx->nspans ? gzc_index_span_len(idx, idx->nspans - 1) : 0, done = 0, pos = s->coff;
	int wbits = (s->flags & GZC_SPAN_F_MEMBER) ? (gzip ? 31 : 15) : -15;
	size_t skip = 0;
	bool ended = false;
	uint32_t crc = 0;
	if (own && (s->bits || s->wlen || idx->csize - s->coff > len + len / 64 + 4096))
		return -EBADMSG;
	unsigned char *in = malloc(IN_CHUNK), *out = malloc(END_OUT_CHUNK);
	z_stream zs = { 0 };
	int rc = -ENOMEM;
	if (!in || !out || inflateInit2(&zs, wbits) != Z_OK) {
		free(in);
		free(out);
		return rc;
	}
	rc = -EBADMSG;
	if (s->bits) {
		unsigned char b;
		ssize_t n = gzc_pread_all(r->fd, &b, 1, (off_t)(s->coff - 1));
		if (n != 1) {
			rc = n < 0 ? (int)n : -EBADMSG;
			goto out;
		}
		if (inflatePrime(&zs, s->bits, b >> (8 - s->bits)) != Z_OK)
			goto out;
	}
	if (s->wlen && (rc = window_to_dict(idx, s, &zs)) < 0)
		goto out;
	rc = -EBADMSG;
	for (;;) {
		if (zs.avail_in == 0) {
			if (pos >= idx->csize) {
				if (ended && !skip)
					break; /* the file ends right after the stream */
				goto out;
			}
			if ((rc = refill(r, &zs, in, &pos)) < 0)
				goto out;
			rc = -EBADMSG;
		}
		if (skip) {
			skip_input(&zs, &skip);
			continue;
		}
		if (ended) {
			/* only our trailer ends our files; a foreign zlib file's
			 * Adler-32 was skipped and the rest is not read */
			if (own || !gzip)
				goto done;
			/* a foreign gzip file: another member must give nothing */
			if (zs.avail_in < 2 && pos < idx->csize) {
				memmove(in, zs.next_in, zs.avail_in);
				ssize_t n = gzc_pread_all(r->fd, in + zs.avail_in, IN_CHUNK - zs.avail_in, (off_t)pos);
				if (n < 0) {
					rc = (int)n;
					goto out;
				}
				pos += (uint64_t)n;
				zs.next_in = in;
				zs.avail_in += (uInt)n;
			}
			if (zs.avail_in < 2 || zs.next_in[0] != GZC_GZ_ID1 || zs.next_in[1] != GZC_GZ_ID2)
				break; /* padding, as gzip ignores it */
			wbits = 31;
			if (inflateReset2(&zs, wbits) != Z_OK) {
				rc = -ENOMEM;
				goto out;
			}
			ended = false;
		}
		zs.next_out = out;
		/* one byte more than the span: a stream that goes on shows */
		zs.avail_out = (uInt)(len - done + 1 < END_OUT_CHUNK ? len - done + 1 : END_OUT_CHUNK);
		int zr = inflate(&zs, Z_NO_FLUSH);
		size_t got = (size_t)(zs.next_out - out);
		crc = gzc_crc32(crc, out, got);
		done += got;
		if (done > len)
			goto out;
		if (zr == Z_STREAM_END) {
			if (done < len && !gzip)
				goto out;
			/* a raw decode leaves the trailer to us */
			if (wbits < 0)
				skip = gzip ? GZC_GZ_TRAILER_LEN : GZC_ZLIB_TRAILER_LEN;
			if (done < len) { /* the span goes on in the next member */
				wbits = 31;
				if (inflateReset2(&zs, wbits) != Z_OK) {
					rc = -ENOMEM;
					goto out;
				}
				continue;
			}
			ended = true;
			continue;
		}
		if (zr != Z_OK && !(zr == Z_BUF_ERROR && zs.avail_in == 0))
			goto out;
	}
	/* the file ended after the stream, or a foreign gzip file's padding */
	if (own && (skip || zs.avail_in || pos != idx->csize))
		goto out;
done:
	if (own && (zs.avail_in || pos != idx->csize))
		goto out;
	if (done == len && crc == s->crc)
		rc = 0;
out:
	inflateEnd(&zs);
	free(in);
	free(out);
	return rc;
}

/* Decodes zero span i into buf (its length) and checks it: zeros with its
 * CRC. Returns 0, -EBADMSG (not zeros, or no decode), -ENOMEM, -errno. */
static int check_zero_span(struct gzc_reader *r, uint32_t i, unsigned char *buf)
{
	size_t len = (size_t)gzc_index_span_len(r->idx, i), from;
	struct goal g = { .r = r, .len = len, .target = len, .decode_zero = 1 };
	int rc = decode_raw(r, i, buf, &g, &from);
	if (rc == 0 && (gzc_crc32(0, buf, len) != r->idx->spans[i].crc || !gzc_is_zero(buf, len)))
		rc = -EBADMSG;
	return rc;
}

int gzc_reader_span_zero(struct gzc_reader *r, uint32_t i)
{
	if (i >= r->idx->nspans || !(r->idx->spans[i].flags & GZC_SPAN_F_ZERO))
		return 0;
	if (!r->zstate)
		return 1;
	unsigned char st = __atomic_load_n(&r->zstate[i], __ATOMIC_ACQUIRE);
	if (st == ZS_UNCHECKED) {
		/* threads that meet here together each check it: the same verdict */
		size_t len = (size_t)gzc_index_span_len(r->idx, i);
		unsigned char *buf = malloc(len ? len : 1);
		if (!buf)
			return -ENOMEM;
		int rc = check_zero_span(r, i, buf);
		free(buf);
		if (rc < 0 && rc != -EBADMSG)
			return rc;
		/* -EBADMSG: damage (the trailer vouches for the index): read as
		 * data from now on, its CRC the judge, as at the eager check */
		st = rc == 0 ? ZS_ZERO : ZS_DATA;
		__atomic_store_n(&r->zstate[i], st, __ATOMIC_RELEASE);
	}
	return st == ZS_ZERO;
}

/* A loaded index was made for a file with this one's size, head and tail,
 * yet a file rewritten in its middle can keep those (with several gzip
 * members, or bytes after the last one, the tail holds no trailer that
 * covers the change), and an index file is as untrusted as the store it
 * sits in. Non-zero spans are CRC-checked at every decode, but a zero span
 * is answered without one, so each is checked here, once: decoded, all
 * zeros, and its CRC. A plain span whose compressed bytes equal those of
 * one checked already (the writer copies one template into every zero
 * span) is compared instead of decoded. Our own gzip files must also agree
 * with their trailer. Whatever the trailer says, the last span must end the
 * stream (check_stream_end), so no index gives the file another size. In
 * a gzip file whose trailer vouches for the index, a zero span that fails
 * is damage, not another file: it loses its zero flag (in memory) and is
 * read as data, its CRC checked at every decode.
 * Returns 0, 1 (the trailer agrees but the last span does not end the
 * stream: damage, or spans made up at the end), -EBADMSG (the index does not
 * describe this file), -ENOMEM, -errno of pread. */
static int check_loaded_index(struct gzc_reader *r)
{
	const struct gzc_index *idx = r->idx;
	unsigned char *buf = NULL, *tmpl = NULL, *cur = NULL, tr[GZC_GZ_TRAILER_LEN];
	size_t buflen = 0, tlen = 0, tulen = 0; /* the template's compressed and decoded lengths */
	int rc = 0;

	/* a single gzip member whose trailer (CRC-32 and size of all the data)
	 * ends the file: the spans' own CRCs (zero spans' too) must combine
	 * into its CRC and the index's size must match its size, so an index
	 * that says otherwise is not this file's. Our own gzip files always
	 * end so. (The trailer holds neither the zero flags nor the size past
	 * 2^32: the checks below do.) */
	/* the container is the file's, not the index's to say, and our own
	 * files are one gzip member: an index that says otherwise would skip
	 * the trailer's check below */
	unsigned char head[2];
	if (gzc_pread_all(r->fd, head, sizeof(head), 0) != (ssize_t)sizeof(head))
		return -EBADMSG;
	bool gzip_file = head[0] == GZC_GZ_ID1 && head[1] == GZC_GZ_ID2;
	if (gzip_file == !!(idx->flags & GZC_IDX_F_ZLIB) ||
	    ((idx->flags & GZC_IDX_F_MULTIMEMBER) && !(idx->flags & GZC_IDX_F_FOREIGN)))
		return -EBADMSG;
	bool trailer = idx->csize >= GZC_GZ_TRAILER_LEN &&
		       gzc_pread_all(r->fd, tr, sizeof(tr), (off_t)(idx->csize - sizeof(tr))) == (ssize_t)sizeof(tr) &&
		       gzc_get_le32(tr) == idx->data_crc && gzc_get_le32(tr + 4) == (uint32_t)idx->usize &&
		       gzc_index_combined_crc(idx) == idx->data_crc;
	bool single_gzip = !(idx->flags & (GZC_IDX_F_MULTIMEMBER | GZC_IDX_F_ZLIB));
	if (single_gzip && !(idx->flags & GZC_IDX_F_FOREIGN) && !trailer)
		return -EBADMSG;
	/* a trailer that agrees does not vouch for the ZERO flags: a zero span
	 * is answered without its CRC, and a ZERO flag on a data span (its CRC
	 * left true) or a file changed in a zero span keeps the trailer's CRC,
	 * so zero spans are checked whatever the trailer says. In another
	 * tool's gzip file they have no common template and each costs a
	 * decode: with a trailer that agrees, a failed check means damage
	 * (read as data), never another file, so each is checked at its first
	 * use instead (gzc_reader_span_zero), not all at every open. */
	bool lazy = trailer && (idx->flags & GZC_IDX_F_FOREIGN);
	for (uint32_t i = 0; lazy && i < idx->nspans; i++)
		if ((idx->spans[i].flags & GZC_SPAN_F_ZERO) && !r->zstate && !(r->zstate = calloc(idx->nspans, 1)))
			return -ENOMEM;

	for (uint32_t i = 0; !lazy && i < idx->nspans && rc == 0; i++) {
		const struct gzc_span *s = &idx->spans[i];
		if (!(s->flags & GZC_SPAN_F_ZERO))
			continue;
		/* its compressed length, when known exactly (not for the last span) */
		uint64_t clen = plain_span(idx, s) && i + 1 < idx->nspans ? idx->spans[i + 1].coff - s->coff : 0;
		size_t len = (size_t)gzc_index_span_len(idx, i);
		if (tlen && clen == tlen && len == tulen) {
			ssize_t n = gzc_pread_all(r->fd, cur, tlen, (off_t)s->coff);
			if (n < 0) {
				rc = (int)n;
				break;
			}
			if ((size_t)n == tlen && memcmp(cur, tmpl, tlen) == 0)
				continue;
		}
		if (len > buflen) {
			free(buf);
			if (!(buf = malloc(len))) {
				rc = -ENOMEM;
				break;
			}
			buflen = len;
		}
		rc = check_zero_span(r, i, buf);
		if (rc == -EBADMSG && trailer) {
			/* the trailer vouches for the index as a whole: this span is
			 * damaged, not another file's. It is read as data from now on,
			 * its CRC the judge (a read of it fails, the rest reads on), as
			 * a damaged data span would be */
			r->idx->spans[i].flags &= ~GZC_SPAN_F_ZERO;
			rc = 0;
			continue;
		}
		if (rc == 0 && !tlen && clen && clen <= ZERO_TEMPLATE_MAX && (tmpl = malloc(clen)) &&
		    (cur = malloc(clen)) && gzc_pread_all(r->fd, tmpl, clen, (off_t)s->coff) == (ssize_t)clen) {
			tlen = clen;
			tulen = len;
		}
		if (!tlen) {
			free(tmpl);
			free(cur);
			tmpl = cur = NULL;
		}
	}
	/* the size: whatever the flags and the trailer say, the last span must
	 * end the stream (a trailer's ISIZE holds the size only mod 2^32, and
	 * the CRCs of spans past the true end are the index's to make up) */
	if (rc == 0 && (rc = check_stream_end(r)) == -EBADMSG && trailer)
		rc = 1; /* damage in the last span, or a size made up: see gzc_reader_open() */
	free(buf);
	free(tmpl);
	free(cur);
	return rc;
}

static long load_span(void *ctx, uint64_t file, uint64_t span, void *buf, size_t len, size_t need,
		      struct gzc_cache_entry *entry)
{
	(void)file;
	(void)len;
	return decode_checked(ctx, (uint32_t)span, buf, need, entry);
}

int gzc_reader_open(int fd, const struct gzc_reader_opts *opts, struct gzc_reader **ret,
		    struct gzc_scan_error *err)
{
	static const struct gzc_reader_opts defaults = { .index_dirfd = AT_FDCWD };
	struct gzc_reader *r;
	struct gzc_index *idx = NULL, *fallback = NULL;
	int rc;

	if (!opts)
		opts = &defaults;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	r->origin = GZC_INDEX_LOADED;
	if (opts->index_path && !(opts->flags & GZC_READER_NO_LOAD) &&
	    gzc_index_load_for(opts->index_dirfd, opts->index_path, fd, &idx) < 0)
		idx = NULL; /* none, corrupt, or stale: it describes another file */
	r->idx = idx;
	if (idx && (rc = check_loaded_index(r)) != 0) {
		/* 1: its trailer agrees, yet its last span does not end the stream.
		 * A damaged last span does that, and so do spans made up past the
		 * end (their CRCs are the index's to choose): it is used only when
		 * the file cannot be indexed afresh (damage) */
		if (rc == 1) {
			fallback = idx; /* (its zstate kept with it) */
		} else {
			gzc_index_free(idx); /* it calls zeros what this file does not hold */
			free(r->zstate);
			r->zstate = NULL;
		}
		idx = r->idx = NULL;
	}
	if (!idx && (opts->flags & GZC_READER_NO_SCAN)) {
		rc = -ENODATA;
		goto fail;
	}
	if (!idx) {
		rc = gzc_scan_build(fd, 0, &idx, err, opts->progress, opts->progress_ctx);
		if (rc == -EBADMSG && fallback) {
			idx = fallback; /* the file is damaged: read what it still gives */
			fallback = NULL;
			rc = 0;
		} else if (rc < 0) {
			goto fail;
		} else {
			free(r->zstate); /* a fresh index is the file's own word */
			r->zstate = NULL;
			r->origin = GZC_INDEX_BUILT_UNSAVED;
			if (opts->index_path && !(opts->flags & GZC_READER_NO_SAVE) &&
			    gzc_index_save(idx, opts->index_dirfd, opts->index_path) == 0)
				r->origin = GZC_INDEX_BUILT;
		}
	}
	gzc_index_free(fallback);
	fallback = NULL;
	r->idx = idx;
	if (opts->cache) {
		r->cache = opts->cache;
	} else {
		rc = gzc_cache_new(opts->cache_bytes ? opts->cache_bytes : GZC_READER_CACHE_DEFAULT, &r->cache);
		if (rc < 0)
			goto fail;
		r->own_cache = 1;
	}
	r->file_id = gzc_cache_file_id(r->cache);
	*ret = r;
	return 0;
fail:
	gzc_index_free(idx);
	gzc_index_free(fallback);
	free(r->zstate);
	free(r);
	return rc;
}

void gzc_reader_close(struct gzc_reader *r)
{
	if (!r)
		return;
	if (r->own_cache)
		gzc_cache_free(r->cache);
	else
		gzc_cache_drop_file(r->cache, r->file_id);
	gzc_index_free(r->idx);
	free(r->zstate);
	close(r->fd);
	free(r);
}

uint64_t gzc_reader_size(const struct gzc_reader *r) { return r->idx->usize; }
int gzc_reader_fd(const struct gzc_reader *r) { return r->fd; }
const struct gzc_index *gzc_reader_index(const struct gzc_reader *r) { return r->idx; }
enum gzc_index_origin gzc_reader_index_origin(const struct gzc_reader *r) { return r->origin; }

ssize_t gzc_reader_pread(struct gzc_reader *r, void *buf, size_t len, uint64_t off)
{
	const struct gzc_index *idx = r->idx;
	unsigned char *out = buf;
	size_t done = 0;

	if (off >= idx->usize)
		return 0;
	if (len > idx->usize - off)
		len = (size_t)(idx->usize - off);
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	while (done < len) {
		uint64_t pos = off + done;
		uint32_t i = gzc_index_find(idx, pos);
		const struct gzc_span *s = &idx->spans[i];
		uint64_t slen = gzc_index_span_len(idx, i), so = pos - s->uoff;
		size_t n = slen - so < len - done ? (size_t)(slen - so) : len - done;

		int z = gzc_reader_span_zero(r, i);
		if (z < 0)
			return z;
		if (z) {
			memset(out + done, 0, n);
		} else if (so == 0 && n == slen) {
			/* the read covers the whole span: decode in place, skip the cache */
			long rc = gzc_reader_decode_span(r, i, out + done, n);
			if (rc < 0)
				return rc;
		} else {
			/* a read from a span's start is likely sequential: load it all;
			 * else decode only up to the check segment the read ends in */
			struct gzc_cache_ref ref;
			size_t need = so == 0 ? (size_t)slen : (size_t)so + n;
			int rc = gzc_cache_get_range(r->cache, r->file_id, i, (size_t)slen, need, load_span, r, &ref);
			if (rc < 0)
				return rc;
			memcpy(out + done, ref.data + so, n);
			gzc_cache_release(r->cache, &ref);
		}
		done += n;
	}
	return (ssize_t)done;
}

int64_t gzc_reader_seek(struct gzc_reader *r, uint64_t off, int whence)
{
	const struct gzc_index *idx = r->idx;
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	if (off >= idx->usize)
		return -ENXIO;
	int want_zero = whence == SEEK_HOLE;
	for (uint32_t i = gzc_index_find(idx, off); i < idx->nspans; i++) {
		int zero = gzc_reader_span_zero(r, i);
		if (zero < 0)
			return zero;
		if (zero == want_zero)
			return (int64_t)(idx->spans[i].uoff > off ? idx->spans[i].uoff : off);
	}
	/* no data after off; the end of the file is a hole */
	return want_zero ? (int64_t)idx->usize : -ENXIO;
}

int gzc_reader_read_cb(void *reader, uint64_t off, void *buf, size_t len)
{
	if (len > (1u << 30))
		len = 1u << 30;
	return (int)gzc_reader_pread(reader, buf, len, off);
}
