/*
 * fuzz_foreign.c — any bytes given to the reader as a foreign gzip or zlib
 * file, with zlib's own inflate as the referee.
 *
 * The input is the compressed file. zlib decodes it as gzip (members one
 * after another, as gzip -dc does) or as one zlib stream. Then a scan
 * indexes it with checkpoints every 64 KiB (the smallest spacing, so small
 * inputs get several spans and windows), the reader opens it with that
 * index from a file, and every byte it returns, read in pieces, at random
 * offsets and after seeks, must be zlib's byte at that offset. A stream
 * zlib decodes completely, with nothing after it, must index and open.
 * Anything else may fail, but only with an error.
 */
#include <errno.h>
#include <zlib.h>

#include "fuzz_util.h"
#include "gzcore.h"

#define REF_MAX (8u << 20) /* larger outputs are not worth the time per input */

static int dirfd_tmp = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	dirfd_tmp = fuzz_tmpdir("f.gzx");
	return 0;
}

struct ref {
	unsigned char *out;
	size_t len;
	int complete;   /* every stream ended with a checked trailer */
	size_t trailing; /* input bytes after the last stream */
};

/* zlib's reading of the input; -1 if it would produce more than REF_MAX */
static int ref_decode(const uint8_t *d, size_t n, struct ref *ref)
{
	int gzip = n >= 2 && d[0] == 0x1f && d[1] == 0x8b;
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	memset(ref, 0, sizeof(*ref));
	if (inflateInit2(&zs, gzip ? 31 : 15) != Z_OK)
		return -1;
	ref->out = malloc(REF_MAX);
	if (!ref->out) {
		inflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *)d;
	zs.avail_in = (uInt)n;
	for (;;) {
		zs.next_out = ref->out + ref->len;
		zs.avail_out = (uInt)(REF_MAX - ref->len);
		int rc = inflate(&zs, Z_NO_FLUSH);
		ref->len = REF_MAX - zs.avail_out;
		if (rc == Z_STREAM_END) {
			if (gzip && zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
				inflateReset(&zs);
				continue;
			}
			ref->complete = 1;
			ref->trailing = zs.avail_in;
			break;
		}
		if (rc == Z_OK && zs.avail_out == 0) {
			inflateEnd(&zs);
			free(ref->out);
			return -1; /* too big */
		}
		if (rc != Z_OK)
			break; /* corrupt or cut short: what came before is still zlib's */
	}
	inflateEnd(&zs);
	return 0;
}

static void check_bytes(const struct ref *ref, const unsigned char *got, uint64_t off, size_t n, const char *how)
{
	FUZZ_CHECK(off + n <= ref->len, "%s: %zu bytes at %llu, zlib made only %zu", how, n,
		   (unsigned long long)off, ref->len);
	FUZZ_CHECK(memcmp(got, ref->out + off, n) == 0, "%s: wrong bytes at %llu+%zu", how, (unsigned long long)off, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct ref ref;
	if (ref_decode(d, n, &ref) < 0)
		return -1;
	int fd = fuzz_memfd(d, n);
	if (fd < 0) {
		free(ref.out);
		return 0;
	}
	uint64_t seed = fuzz_seed(d, n);

	/* the sniff and the head decode need no index */
	unsigned char head[4096];
	ssize_t hn = gzc_scan_head(fd, head, sizeof(head));
	if (hn > 0)
		check_bytes(&ref, head, 0, (size_t)hn, "gzc_scan_head");
	(void)gzc_scan_sniff(d, n);

	int whole = ref.complete && ref.trailing == 0 && ref.len > 0;
	struct gzc_scan_error err = { 0 };
	struct gzc_index *idx = NULL;
	int rc = gzc_scan_build(fd, GZC_SPAN_MIN, &idx, &err, NULL, NULL);
	FUZZ_CHECK(rc == 0 || !whole, "a stream zlib reads whole (%zu bytes) did not index: %s at %llu (%s)", ref.len,
		   strerror(-rc), (unsigned long long)err.coff, err.what ? err.what : "");
	unlinkat(dirfd_tmp, "f.gzx", 0);
	if (rc == 0) {
		FUZZ_CHECK(gzc_index_save(idx, dirfd_tmp, "f.gzx") == 0, "saving the index");
		gzc_index_free(idx);
	}
	struct gzc_reader_opts opts = { .index_dirfd = dirfd_tmp, .index_path = "f.gzx", .cache_bytes = 1u << 20,
					.flags = GZC_READER_NO_SAVE };
	struct gzc_reader *r = NULL;
	rc = gzc_reader_open(fd, &opts, &r, &err);
	if (rc < 0) {
		FUZZ_CHECK(!whole, "a stream zlib reads whole (%zu bytes) did not open: %s at %llu (%s)", ref.len,
			   strerror(-rc), (unsigned long long)err.coff, err.what ? err.what : "");
		close(fd);
		free(ref.out);
		return 0;
	}
	uint64_t size = gzc_reader_size(r);
	FUZZ_CHECK(size <= ref.len, "reader says %llu bytes, zlib made %zu", (unsigned long long)size, ref.len);
	unsigned char *buf = malloc(size + 4096);
	FUZZ_CHECK(buf != NULL, "out of memory");

	/* random reads first (partial spans, cache prefixes), then past the end */
	for (int k = 0; k < 12 && size > 0; k++) {
		uint64_t off = fuzz_rand(&seed) % size;
		size_t len = (size_t)(fuzz_rand(&seed) % 70000) + 1;
		ssize_t got = gzc_reader_pread(r, buf, len, off);
		if (got < 0)
			continue; /* an error is allowed, wrong bytes are not */
		FUZZ_CHECK((uint64_t)got == (off + len > size ? size - off : len), "short read at %llu",
			   (unsigned long long)off);
		check_bytes(&ref, buf, off, (size_t)got, "random read");
	}
	FUZZ_CHECK(gzc_reader_pread(r, buf, 10, size) == 0, "a read at EOF returned bytes");

	/* all of it, in pieces of changing size */
	for (uint64_t off = 0; off < size;) {
		size_t len = (size_t)(fuzz_rand(&seed) % 200000) + 1;
		ssize_t got = gzc_reader_pread(r, buf + off, len, off);
		if (got < 0)
			break;
		FUZZ_CHECK(got > 0, "no progress at %llu", (unsigned long long)off);
		check_bytes(&ref, buf + off, off, (size_t)got, "sequential read");
		off += (uint64_t)got;
	}

	/* a hole is only ever over zeros */
	for (int k = 0; k < 4 && size > 0; k++) {
		uint64_t off = fuzz_rand(&seed) % size;
		int64_t data = gzc_reader_seek(r, off, SEEK_DATA);
		uint64_t end = data < 0 ? size : (uint64_t)data;
		FUZZ_CHECK(end >= off && end <= size, "SEEK_DATA from %llu gave %lld", (unsigned long long)off,
			   (long long)data);
		for (uint64_t i = off; i < end; i++)
			FUZZ_CHECK(ref.out[i] == 0, "SEEK_DATA skipped a non-zero byte at %llu", (unsigned long long)i);
		int64_t hole = gzc_reader_seek(r, off, SEEK_HOLE);
		FUZZ_CHECK(hole >= (int64_t)off && (uint64_t)hole <= size, "SEEK_HOLE from %llu gave %lld",
			   (unsigned long long)off, (long long)hole);
	}
	free(buf);
	gzc_reader_close(r);
	free(ref.out);
	return 0;
}
