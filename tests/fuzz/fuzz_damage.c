/*
 * fuzz_damage.c — one of our own compressed cores and its index, damaged
 * as the input says, read back: every byte returned must be the original's.
 *
 * At start-up the writer compresses a known 5-span input (text, zeros,
 * random bytes that get stored, heap-like records, a short tail) at the
 * smallest span size, for each container. The input selects the container
 * and lists changes to the compressed file and its index: 5 bytes each, a
 * 32-bit offset into both files laid end to end and a byte to XOR in; a
 * last odd byte cuts the compressed file short. The reader then opens the
 * damaged pair (the index from a file, as in the store) and reads all of it
 * and at random offsets. Errors are allowed; wrong bytes never are.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fuzz_util.h"
#include "gzcore.h"

#define SPAN GZC_SPAN_MIN
#define ORIG_LEN (4 * SPAN + 1234)

static unsigned char *orig;
static struct {
	unsigned char *file, *index;
	size_t flen, ilen;
} made[2];
static int dirfd_tmp = -1;

static void make_orig(void)
{
	static const char words[] = "frame thread heap SIGSEGV 0x7ffd4a2c main() libc.so.6 ";
	uint64_t s = 42;
	orig = malloc(ORIG_LEN);
	for (size_t i = 0; i < SPAN; i++)
		orig[i] = (unsigned char)words[(i * 7 + (fuzz_rand(&s) & 3)) % (sizeof(words) - 1)];
	memset(orig + SPAN, 0, SPAN);
	for (size_t i = 2 * SPAN; i < 3 * SPAN; i++)
		orig[i] = (unsigned char)fuzz_rand(&s);
	for (size_t i = 3 * SPAN; i < ORIG_LEN; i += 8) {
		uint64_t v = 0x00007f0000000000ull | (fuzz_rand(&s) & 0xfff0);
		memcpy(orig + i, &v, ORIG_LEN - i < 8 ? ORIG_LEN - i : 8);
	}
}

static void make_file(int k)
{
	int fd = memfd_create("orig", MFD_CLOEXEC);
	struct gzc_writer_opts wo = { .container = k ? GZC_ZLIB : GZC_GZIP, .span = SPAN, .threads = 1 };
	struct gzc_writer *w;
	struct gzc_index *idx;
	FUZZ_CHECK(fd >= 0 && gzc_writer_new(fd, &wo, &w) == 0, "writer");
	FUZZ_CHECK(gzc_writer_write(w, orig, ORIG_LEN) == 0 && gzc_writer_finish(w, 0, &idx) == 0, "compress");
	gzc_writer_free(w);
	FUZZ_CHECK(gzc_index_encode(idx, &made[k].index, &made[k].ilen) == 0, "encode");
	gzc_index_free(idx);
	struct stat st;
	FUZZ_CHECK(fstat(fd, &st) == 0, "fstat");
	made[k].flen = (size_t)st.st_size;
	made[k].file = malloc(made[k].flen);
	FUZZ_CHECK(pread(fd, made[k].file, made[k].flen, 0) == (ssize_t)made[k].flen, "read back");
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	make_orig();
	make_file(0);
	make_file(1);
	dirfd_tmp = fuzz_tmpdir("core.gzx");
	return 0;
}

static void check_bytes(const unsigned char *got, uint64_t off, size_t n, const char *how)
{
	FUZZ_CHECK(off + n <= ORIG_LEN, "%s: %zu bytes at %llu past the end", how, n, (unsigned long long)off);
	FUZZ_CHECK(memcmp(got, orig + off, n) == 0, "%s: wrong bytes at %llu+%zu", how, (unsigned long long)off, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	if (n < 1)
		return -1;
	int k = d[0] & 1;
	unsigned char *file = malloc(made[k].flen), *index = malloc(made[k].ilen);
	size_t flen = made[k].flen;
	memcpy(file, made[k].file, flen);
	memcpy(index, made[k].index, made[k].ilen);
	size_t i;
	for (i = 1; i + 5 <= n; i += 5) {
		uint32_t at;
		memcpy(&at, d + i, 4);
		at %= (uint32_t)(made[k].flen + made[k].ilen);
		if (at < made[k].flen)
			file[at] ^= d[i + 4];
		else
			index[at - made[k].flen] ^= d[i + 4];
	}
	if (i < n)
		flen = flen * d[i] / 256; /* cut short */
	fuzz_fix_index_crc(index, made[k].ilen);

	int fd = fuzz_memfd(file, flen);
	int ifd = openat(dirfd_tmp, "core.gzx", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0 && ifd >= 0 && write(ifd, index, made[k].ilen) == (ssize_t)made[k].ilen, "files");
	close(ifd);

	struct gzc_reader_opts opts = { .index_dirfd = dirfd_tmp, .index_path = "core.gzx", .cache_bytes = 1u << 20,
					.flags = GZC_READER_NO_SAVE };
	struct gzc_reader *r = NULL;
	int pristine = n == 1;
	if (gzc_reader_open(fd, &opts, &r, NULL) < 0) {
		FUZZ_CHECK(!pristine, "an undamaged file did not open");
		close(fd);
		goto out;
	}
	uint64_t size = gzc_reader_size(r), seed = fuzz_seed(d, n);
	/* whatever the index says, the size is the file's: a gzip index must
	 * agree with the trailer, and a zlib one's last span must decode */
	FUZZ_CHECK(size == ORIG_LEN, "size %llu", (unsigned long long)size);
	unsigned char *buf = malloc(ORIG_LEN + 4096);
	for (int j = 0; j < 8 && size > 0; j++) {
		uint64_t off = fuzz_rand(&seed) % size;
		size_t len = (size_t)(fuzz_rand(&seed) % (2 * SPAN)) + 1;
		ssize_t got = gzc_reader_pread(r, buf, len, off);
		if (got >= 0)
			check_bytes(buf, off, (size_t)got, "random read");
	}
	for (uint64_t off = 0; off < size;) {
		ssize_t got = gzc_reader_pread(r, buf, SPAN / 2 + 17, off);
		FUZZ_CHECK(got > 0 || !pristine, "an undamaged file failed to read at %llu", (unsigned long long)off);
		if (got <= 0) {
			off += SPAN / 2 + 17; /* skip the bad range, as gdb would after EIO */
			continue;
		}
		check_bytes(buf, off, (size_t)got, "sequential read");
		off += (uint64_t)got;
	}
	for (uint64_t off = 0; off < size; off += SPAN / 3) {
		int64_t data = gzc_reader_seek(r, off, SEEK_DATA);
		uint64_t end = data < 0 ? size : (uint64_t)data;
		FUZZ_CHECK(end >= off && end <= size, "SEEK_DATA");
		for (uint64_t b = off; b < end; b++)
			FUZZ_CHECK(b < ORIG_LEN && orig[b] == 0, "SEEK_DATA skipped a non-zero byte at %llu",
				   (unsigned long long)b);
	}
	free(buf);
	gzc_reader_close(r);
out:
	free(file);
	free(index);
	return 0;
}
