/*
 * fuzz_util.h — shared by the libFuzzer targets in tests/fuzz/.
 *
 * A target must never crash, and where it checks bytes (the readers) a
 * mismatch is a bug, reported with abort() so libFuzzer keeps the input.
 */
#ifndef GZC_FUZZ_UTIL_H
#define GZC_FUZZ_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#define FUZZ_CHECK(cond, ...)                                                                                      \
	do {                                                                                                       \
		if (!(cond)) {                                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);                   \
			fprintf(stderr, __VA_ARGS__);                                                              \
			fputc('\n', stderr);                                                                       \
			abort();                                                                                   \
		}                                                                                                  \
	} while (0)

/* An anonymous file holding len bytes of data, offset 0; -1 if it cannot be made. */
static inline int fuzz_memfd(const void *data, size_t len)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	const unsigned char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return fd;
}

/* xorshift64*: reads at offsets chosen from the input itself, so a run is reproducible */
static inline uint64_t fuzz_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline uint64_t fuzz_seed(const uint8_t *d, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ d[i]) * 1099511628211ull;
	return h;
}

/* A private directory for the one file a target writes (file), removed
 * with it at exit. Returns the directory's fd; aborts if it cannot be made. */
static int fuzz_dirfd = -1;
static char fuzz_dir_path[64];
static const char *fuzz_dir_file;

static void fuzz_dir_cleanup(void)
{
	unlinkat(fuzz_dirfd, fuzz_dir_file, 0);
	rmdir(fuzz_dir_path);
}

static inline int fuzz_tmpdir(const char *file)
{
	strcpy(fuzz_dir_path, "/tmp/gzc-fuzz-XXXXXX");
	FUZZ_CHECK(mkdtemp(fuzz_dir_path) != NULL, "mkdtemp");
	fuzz_dirfd = open(fuzz_dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(fuzz_dirfd >= 0, "open %s", fuzz_dir_path);
	fuzz_dir_file = file;
	atexit(fuzz_dir_cleanup);
	return fuzz_dirfd;
}

/* Sets an index file's trailer to the CRC-32 of the bytes before it, so
 * the decoder's checks past the CRC get fuzzed too: anyone who can plant a
 * file can compute a CRC. */
static inline void fuzz_fix_index_crc(unsigned char *buf, size_t len)
{
	if (len < 4)
		return;
	uint32_t crc = (uint32_t)crc32(0, buf, (uInt)(len - 4));
	for (int k = 0; k < 4; k++)
		buf[len - 4 + k] = (unsigned char)(crc >> (8 * k));
}

#endif
