/*
 * engine.h — the deflate/inflate/CRC engines under the writer and reader.
 *
 * Design: compression works span by span. A span is deflated on its own (no
 * history) into raw deflate blocks that are not final and end on a byte
 * boundary, so spans can be concatenated and each decoded alone. ISA-L
 * (igzip) does the fast levels and the raw inflate when the build has it;
 * zlib does the rest and everything when built with ENGINE=zlib.
 */
#ifndef GZC_ENGINE_H
#define GZC_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_LEVEL_MIN 1
#define GZC_LEVEL_MAX 9
/* The default trades a little ratio for speed: the crashed process waits for us. */
#define GZC_LEVEL_DEFAULT 1

/* One compressor per thread. Not thread safe. */
struct gzc_deflater;

/* Name of the engine a level uses, e.g. "isal-2" or "zlib-9" (static string). */
const char *gzc_engine_name(int level);

/* Creates a compressor for level (GZC_LEVEL_MIN..GZC_LEVEL_MAX).
 * Errors: -EINVAL (bad level), -ENOMEM. Caller owns *ret (gzc_deflater_free). */
GZC_MUST_CHECK int gzc_deflater_new(int level, struct gzc_deflater **ret);
void gzc_deflater_free(struct gzc_deflater *d);

/* Worst-case compressed size of a span of len bytes. */
size_t gzc_deflate_bound(size_t len);

/* Compresses in[0..len) as independent raw deflate blocks, none final, ending
 * byte aligned with an empty stored block. out must hold gzc_deflate_bound(len).
 * Returns the compressed length, or -EIO (engine failure), -ENOBUFS (out too small). */
GZC_MUST_CHECK long gzc_deflate_span(struct gzc_deflater *d, const void *in, size_t len,
				     void *out, size_t cap);

/* Decodes raw deflate from in[0..inlen) with no window into exactly outlen
 * bytes. Stops once outlen bytes are out. Thread safe.
 * Errors: -EBADMSG (corrupt or too short data), -ENOMEM. */
GZC_MUST_CHECK int gzc_inflate_span(const void *in, size_t inlen, void *out, size_t outlen);

/* Incremental form of gzc_inflate_span(): decode into out (cap bytes) as
 * far as asked, then further on a later call. Not thread safe. */
struct gzc_inflater;
/* Errors: -ENOMEM, -EINVAL. in and out must outlive the inflater; caller
 * owns *ret (gzc_inflater_end). */
GZC_MUST_CHECK int gzc_inflater_begin(const void *in, size_t inlen, void *out, size_t cap,
				      struct gzc_inflater **ret);
/* Decodes until upto (<= cap) bytes are out. Errors: -EBADMSG, -EINVAL. */
GZC_MUST_CHECK int gzc_inflater_run(struct gzc_inflater *d, size_t upto);
void gzc_inflater_end(struct gzc_inflater *d);
/* Points a paused inflater at new input: the compressed bytes that follow
 * the ones it consumed (the old input buffer may be gone by now). */
void gzc_inflater_set_input(struct gzc_inflater *d, const void *in, size_t inlen);
/* Input bytes not consumed yet. */
size_t gzc_inflater_avail_in(const struct gzc_inflater *d);
/* Bytes output so far. */
size_t gzc_inflater_produced(const struct gzc_inflater *d);
/* Memory an inflater holds, for cache budgets. */
size_t gzc_inflater_footprint(void);

/* CRC-32 (gzip polynomial), incremental like zlib's crc32(). */
uint32_t gzc_crc32(uint32_t crc, const void *buf, size_t len);
/* Adler-32, incremental like zlib's adler32(). */
uint32_t gzc_adler32(uint32_t adler, const void *buf, size_t len);

/* Returns 1 if buf[0..len) is all zero bytes. */
int gzc_is_zero(const void *buf, size_t len);

#endif
